# Runs TOOL with ARGS (a ;-separated list) and passes only if it exits non-zero AND its stderr
# matches EXPECT: ctest's PASS_REGULAR_EXPRESSION alone ignores the exit code, and WILL_FAIL
# alone ignores the message.
#   cmake -DTOOL=path -DARGS=a;b -DEXPECT=regex -P expect_failure.cmake
execute_process(COMMAND "${TOOL}" ${ARGS} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message(STATUS "exit code ${rc}\nstdout: ${out}\nstderr: ${err}")
if(rc EQUAL 0)
  message(FATAL_ERROR "expected a non-zero exit code")
endif()
if(NOT err MATCHES "${EXPECT}")
  message(FATAL_ERROR "stderr does not match \"${EXPECT}\"")
endif()
