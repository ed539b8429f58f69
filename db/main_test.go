package db_test

import (
	"os"
	"testing"

	"github.com/docodego/sessions/db/dbtest"
)

// TestMain gives every test in this package (internal and external) the throwaway cluster
// that dbtest.NewStore draws fresh databases from.
func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }
