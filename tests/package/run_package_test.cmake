# Installs dapt into a scratch prefix, then configures, builds and runs two outside projects:
# one with find_package(dapt CONFIG REQUIRED), one with add_subdirectory(<dapt source>).
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "command failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
  message(STATUS "${out}")
endfunction()

# The Boost.JSON mode of the enclosing build (compiled library, or built from Boost's headers).
set(common -G "${GENERATOR}" -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_BUILD_TYPE=Release
    -DDAPT_BOOST_JSON_FROM_HEADERS=${BOOST_JSON_FROM_HEADERS})

# 1. install
run(${CMAKE_COMMAND} -S "${DAPT_SOURCE_DIR}" -B "${WORK_DIR}/dapt-build" ${common}
    -DDAPT_CUDA=OFF -DDAPT_BUILD_TESTS=OFF -DDAPT_BUILD_EXAMPLES=OFF -DDAPT_BUILD_BENCHMARKS=OFF
    -DCMAKE_INSTALL_PREFIX=${WORK_DIR}/prefix)
run(${CMAKE_COMMAND} --build "${WORK_DIR}/dapt-build")
run(${CMAKE_COMMAND} --install "${WORK_DIR}/dapt-build")
if(NOT EXISTS "${WORK_DIR}/prefix/include/dapt/dapt.hpp")
  message(FATAL_ERROR "install did not copy the headers")
endif()
# Built from Boost's headers, the package carries its Boost.JSON and asks Boost for no component.
file(GLOB boost_json_lib "${WORK_DIR}/prefix/lib*/libdapt_boost_json.a")
file(READ "${WORK_DIR}/prefix/share/dapt/cmake/daptConfig.cmake" config)
string(FIND "${config}" "CONFIG COMPONENTS json" asks_json)
if(BOOST_JSON_FROM_HEADERS AND (NOT boost_json_lib OR NOT asks_json EQUAL -1))
  message(FATAL_ERROR "Boost.JSON from headers: the install lacks libdapt_boost_json.a or still asks Boost for json")
elseif(NOT BOOST_JSON_FROM_HEADERS AND (boost_json_lib OR asks_json EQUAL -1))
  message(FATAL_ERROR "compiled Boost.JSON: the install carries libdapt_boost_json.a or does not ask Boost for json")
endif()

# 2. find_package consumer
run(${CMAKE_COMMAND} -S "${DAPT_SOURCE_DIR}/tests/package/consumer" -B "${WORK_DIR}/consumer"
    ${common} -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix)
run(${CMAKE_COMMAND} --build "${WORK_DIR}/consumer")
run("${WORK_DIR}/consumer/dapt_consumer" "${WORK_DIR}/consumer/roundtrip.safetensors")

# 3. add_subdirectory consumer
run(${CMAKE_COMMAND} -S "${DAPT_SOURCE_DIR}/tests/package/subdir_consumer" -B "${WORK_DIR}/subdir"
    ${common} -DDAPT_SOURCE_DIR=${DAPT_SOURCE_DIR})
run(${CMAKE_COMMAND} --build "${WORK_DIR}/subdir")
run("${WORK_DIR}/subdir/dapt_subdir_consumer" "${WORK_DIR}/subdir/roundtrip.safetensors")
