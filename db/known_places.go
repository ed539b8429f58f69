package db

import (
	"context"
	"fmt"
	"time"

	"github.com/docodego/sessions/geo"
)

// KnownPlaces is every point the account signed in from (migration 00021), each as the
// middle of its tenth-of-a-degree cell.
func (t *Tx) KnownPlaces(ctx context.Context, userID string) ([]geo.Point, error) {
	var cells []struct {
		Lat int16 `db:"lat_tenths"`
		Lon int16 `db:"lon_tenths"`
	}
	if err := t.tx.SelectContext(ctx, &cells, `
		SELECT lat_tenths, lon_tenths FROM known_places WHERE user_id = $1`, userID); err != nil {
		return nil, fmt.Errorf("known places: %w", err)
	}
	points := make([]geo.Point, len(cells))
	for i, c := range cells {
		points[i] = geo.Point{Lat: float64(c.Lat) / 10, Lon: float64(c.Lon) / 10, Known: true}
	}
	return points, nil
}

// RememberPlace records that the account signed in from p (rounded to its cell); a cell
// it knows already keeps its first sighting.
func (t *Tx) RememberPlace(ctx context.Context, userID string, p geo.Point, now time.Time) error {
	if _, err := t.tx.ExecContext(ctx, `
		INSERT INTO known_places (user_id, lat_tenths, lon_tenths, first_seen_at)
		VALUES ($1, round($2::float8 * 10), round($3::float8 * 10), $4)
		ON CONFLICT DO NOTHING`, userID, p.Lat, p.Lon, now); err != nil {
		return fmt.Errorf("remember place: %w", err)
	}
	return nil
}
