// Must not compile with meshc_runtime's include path (tests/runtime/boundary_test.py).
#include "frontend/lint.h"
