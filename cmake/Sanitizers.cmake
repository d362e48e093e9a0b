# MIROIR_SANITIZE=address,undefined (or thread) builds everything with those
# sanitizers.
if(MIROIR_SANITIZE)
  add_compile_options(-fsanitize=${MIROIR_SANITIZE} -fno-omit-frame-pointer)
  if(MIROIR_SANITIZE MATCHES "undefined")
    add_compile_options(-fno-sanitize-recover=undefined)
  endif()
  if(MIROIR_SANITIZE MATCHES "thread")
    # Asio's handler completion uses std::atomic_thread_fence, which TSan
    # does not model (GCC's -Wtsan says so at every use). Only the warning is
    # turned off: the race reports stay on, and the unit tests run under TSan
    # (scripts/test.sh) show none that a fence would explain.
    add_compile_options(-Wno-tsan)
  endif()
  add_link_options(-fsanitize=${MIROIR_SANITIZE})
endif()
