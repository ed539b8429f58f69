package locale

import (
	"golang.org/x/text/language"
)

// Country names a country (ISO 3166-1 alpha-2 code) in the reader's language from CLDR
// ("Germany", "Deutschland", "Allemagne", "Alemania"); an unknown code is shown as it is.
func (l *Localizer) Country(code string) string {
	r, err := language.ParseRegion(code)
	if err != nil || l.regions == nil {
		return code
	}
	if name := l.regions.Name(r); name != "" {
		return name
	}
	return code
}

// Place is "Berlin, Germany", or "Germany" when the city is not known. City names stay as
// the data spells them (DB-IP has no translations).
func (l *Localizer) Place(city, countryCode string) string {
	country := l.Country(countryCode)
	if city == "" {
		return country
	}
	return l.T("geo.city_country", "City", city, "Country", country)
}
