// A strategy that reaches into the world model: check_layers must reject it.
#include "strategies/ports/ports.h"
#include "sim/world/world.h"
