"""The bounds every command works within, in one place (light: imports nothing)."""

MAX_FILE_BYTES = 512 * 1024    # a record file larger than this is refused unread
MAX_DEPTH = 32                 # YAML nesting deeper than this is refused
MAX_NUMBER_DIGITS = 30         # a number written with more digits is refused, not converted
SQL_TIMEOUT = 30.0             # seconds; `sanctions sql --timeout` changes it
SQL_MAX_ROWS = 1_000_000       # a result past this is refused rather than filling memory
SQL_MEMORY = "1GB"             # DuckDB's memory limit on every connection handed out
BUILD_MEMORY = "512MB"         # DuckDB's memory limit while it builds a database (it spills to the file)
UPDATE_MEMORY = "1GB"          # DuckDB's limit while it updates a database in place: the update runs apart from
#                                the validation's heap (cache._brought_up), and its joins took twice as long in 512MB
