# Finds the CUDA toolkit libraries and NCCL for the dapt CUDA backend and defines dapt::nccl.
# Used both by the build tree and by the installed package config.
find_package(CUDAToolkit REQUIRED)
if(NOT TARGET dapt::nccl)
  find_path(DAPT_NCCL_INCLUDE_DIR nccl.h
    HINTS ${CUDAToolkit_INCLUDE_DIRS} ENV NCCL_HOME PATH_SUFFIXES include)
  find_library(DAPT_NCCL_LIBRARY nccl
    HINTS ${CUDAToolkit_LIBRARY_DIR} ${CUDAToolkit_LIBRARY_ROOT}/lib ENV NCCL_HOME
    PATH_SUFFIXES lib lib64)
  if(NOT DAPT_NCCL_INCLUDE_DIR OR NOT DAPT_NCCL_LIBRARY)
    message(FATAL_ERROR "dapt: the CUDA backend needs NCCL (nccl.h and libnccl); set NCCL_HOME "
                        "or configure with -DDAPT_CUDA=OFF")
  endif()
  add_library(dapt::nccl UNKNOWN IMPORTED)
  set_target_properties(dapt::nccl PROPERTIES
    IMPORTED_LOCATION "${DAPT_NCCL_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${DAPT_NCCL_INCLUDE_DIR}")
endif()
