# Builds for finding memory and threading bugs (see docs/development.md, "Testing"):
#   -DEVENTSTREAM_SANITIZE=address,undefined   or   =thread
#       every target (library, binary, tests) built and linked with those sanitizers;
#   -DEVENTSTREAM_FUZZ=ON, configured with CC=clang CXX=clang++
#       the library with libFuzzer's coverage, ASan and UBSan, and the fuzz targets of
#       tests/fuzz/ (nothing else is built).
# Any undefined behaviour stops the program, so a test or fuzzer cannot pass over it.
set(EVENTSTREAM_SANITIZE "" CACHE STRING "sanitizers for every target: address,undefined or thread; empty: none")
option(EVENTSTREAM_FUZZ "build the libFuzzer targets of tests/fuzz (clang only)" OFF)

if(EVENTSTREAM_SANITIZE AND EVENTSTREAM_FUZZ)
  message(FATAL_ERROR "EVENTSTREAM_FUZZ builds with address,undefined already; configure it without EVENTSTREAM_SANITIZE")
endif()

if(EVENTSTREAM_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "EVENTSTREAM_FUZZ needs clang (libFuzzer): configure a fresh build directory with "
                        "CC=clang CXX=clang++ (Debian packages clang and libclang-rt-14-dev)")
  endif()
  set(EVENTSTREAM_SANITIZE address,undefined)
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()

if(EVENTSTREAM_SANITIZE)
  if(NOT EVENTSTREAM_SANITIZE MATCHES "^(address,undefined|undefined,address|address|undefined|thread)$")
    message(FATAL_ERROR "EVENTSTREAM_SANITIZE='${EVENTSTREAM_SANITIZE}' is not one of: address,undefined, thread")
  endif()
  add_compile_options(-fsanitize=${EVENTSTREAM_SANITIZE} -fno-omit-frame-pointer)
  add_link_options(-fsanitize=${EVENTSTREAM_SANITIZE})
  if(EVENTSTREAM_SANITIZE STREQUAL "thread")
    # Boost.Asio fences each handler's call with std::atomic_thread_fence, which TSan
    # cannot model (g++ refuses it with -Wtsan). The fences are redundant here: a
    # handler reaches its thread through the scheduler's mutex, which TSan does see.
    add_compile_definitions(BOOST_ASIO_DISABLE_FENCED_BLOCK)
  endif()
  if(EVENTSTREAM_SANITIZE MATCHES undefined)
    add_compile_options(-fno-sanitize-recover=undefined)
    if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
      add_compile_options(-fsanitize-ignorelist=${PROJECT_SOURCE_DIR}/tests/sanitizers/ubsan_ignorelist.txt)
    endif()
  endif()
endif()
