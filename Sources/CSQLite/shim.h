#include <sqlite3.h>

// SQLITE_TRANSIENT is a macro casting -1 to a function pointer, which Swift cannot import.
static inline sqlite3_destructor_type baton_sqlite_transient(void) { return SQLITE_TRANSIENT; }

// sqlite3_config is variadic, which Swift cannot call. SQLite's memory statistics take a global
// mutex around every allocation and free ("SQLITE_CONFIG_MEMSTATUS ... When disabled, ... SQLite
// ... is able to avoid calling a mutex on every allocation"); Baton never reads them. It must run
// before the library initialises (SQLITE_MISUSE after, changing nothing).
static inline int baton_sqlite_disable_memstatus(void) { return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); }
