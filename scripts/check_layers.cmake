# Checks that every #include in the C++ tree goes down the layers (docs/architecture.md):
#
#   engine      sim/engine/          may include: engine
#   config      sim/config/          may include: engine, config
#   ports       strategies/ports/    may include: engine, ports
#   testing     strategies/testing/  may include: engine, config, ports, testing
#   strategies  strategies/          may include: engine, config, ports, strategies
#                                    (its *_test.cc files also: testing)
#   world       sim/world/           may include: engine, config, ports, world
#                                    (its *_test.cc files also: strategies, testing)
#   experiment  cli/, sim/validation/, sim/conformance/, bench/: everything but testing
#                                    (its *_test.cc files also: testing)
#
# Only project headers ("sim/...", "strategies/...", "cli/...") are checked. A strategy thus
# cannot include a world header, and the engine knows nothing of credentials.
# Usage: cmake -DROOT=<source dir> -P scripts/check_layers.cmake   (fails listing every
# offending include as "<file>: includes <header> (<layer> may include: ...)").
cmake_minimum_required(VERSION 3.25)
if(NOT DEFINED ROOT)
  message(FATAL_ERROR "check_layers: pass -DROOT=<source dir>")
endif()

function(layer_of path out)
  if(path MATCHES "^sim/engine/")
    set(l engine)
  elseif(path MATCHES "^sim/config/")
    set(l config)
  elseif(path MATCHES "^strategies/ports/")
    set(l ports)
  elseif(path MATCHES "^strategies/testing/")
    set(l testing)
  elseif(path MATCHES "^strategies/[^/]+$")
    set(l strategies)
  elseif(path MATCHES "^sim/world/")
    set(l world)
  elseif(path MATCHES "^(cli|bench|sim/validation|sim/conformance)/")
    set(l experiment)
  else()
    set(l unknown)
  endif()
  set(${out} ${l} PARENT_SCOPE)
endfunction()

set(allowed_engine engine)
set(allowed_config engine config)
set(allowed_ports engine ports)
set(allowed_testing engine config ports testing)
set(allowed_strategies engine config ports strategies)
set(allowed_strategies_test engine config ports strategies testing)
set(allowed_world engine config ports world)
set(allowed_world_test engine config ports world strategies testing)
set(allowed_experiment engine config ports strategies world experiment)
set(allowed_experiment_test engine config ports testing strategies world experiment)

file(GLOB_RECURSE files RELATIVE "${ROOT}"
     "${ROOT}/sim/*.h" "${ROOT}/sim/*.cc" "${ROOT}/strategies/*.h" "${ROOT}/strategies/*.cc"
     "${ROOT}/cli/*.h" "${ROOT}/cli/*.cc" "${ROOT}/bench/*.cc")
set(problems "")
set(checked 0)
foreach(f ${files})
  layer_of("${f}" layer)
  if(layer STREQUAL "unknown")
    string(APPEND problems "  ${f}: not in a layer directory\n")
    continue()
  endif()
  set(rules ${layer})
  if(f MATCHES "_test\\.cc$|_test_util\\.h$" AND DEFINED allowed_${layer}_test)
    set(rules ${layer}_test)
  endif()
  file(STRINGS "${ROOT}/${f}" includes REGEX "^#include \"(sim|strategies|cli)/")
  foreach(line ${includes})
    string(REGEX REPLACE "^#include \"([^\"]+)\".*" "\\1" header "${line}")
    layer_of("${header}" target)
    math(EXPR checked "${checked} + 1")
    if(NOT target IN_LIST allowed_${rules})
      string(REPLACE ";" ", " ok "${allowed_${rules}}")
      string(APPEND problems
             "  ${f}: includes ${header} (layer ${target}); ${layer} may include: ${ok}\n")
    endif()
  endforeach()
endforeach()

if(problems)
  message(FATAL_ERROR "check_layers: includes against the layer order "
                      "(docs/architecture.md#layers):\n${problems}")
endif()
message(STATUS "check_layers: ${checked} project includes go down the layers")
