// The world header the bad strategy includes.
#include "strategies/ports/ports.h"
