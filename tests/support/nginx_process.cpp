#include "support/nginx_process.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "support/http_client.hpp"
#include "support/pushpin_process.hpp"

namespace es::test {

NginxProcess::NginxProcess(int upstream_port, const std::string& directives) : port_(free_port()) {
  const std::string dir = dir_.path();
  std::filesystem::create_directories(dir + "/temp");
  // Every path nginx would take from its compiled-in defaults is set here, so it never
  // touches the system nginx's files.
  std::ofstream(dir + "/nginx.conf")
      << "daemon off;\nmaster_process off;\npid " << dir << "/nginx.pid;\nerror_log " << dir << "/error.log warn;\n"
      << "events { worker_connections 64; }\n"
      << "http {\n  access_log off;\n  client_body_temp_path " << dir << "/temp/body;\n  proxy_temp_path " << dir
      << "/temp/proxy;\n  fastcgi_temp_path " << dir << "/temp/fastcgi;\n  uwsgi_temp_path " << dir
      << "/temp/uwsgi;\n  scgi_temp_path " << dir << "/temp/scgi;\n"
      << "  server {\n    listen 127.0.0.1:" << port_ << ";\n    location / {\n      proxy_pass http://127.0.0.1:"
      << upstream_port << ";\n      proxy_http_version 1.1;\n      " << directives << "\n    }\n  }\n}\n";
  pid_ = ::fork();
  if (pid_ == 0) {
    std::string conf = dir + "/nginx.conf";
    ::execlp("nginx", "nginx", "-p", dir.c_str(), "-c", conf.c_str(), "-e", (dir + "/error.log").c_str(),
             static_cast<char*>(nullptr));
    ::_exit(127);
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < deadline) {
    try {
      ::close(connect_tcp("127.0.0.1", port_));
      return;
    } catch (const std::exception&) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  throw std::runtime_error("nginx did not start within 5 s (see " + dir + "/error.log)");
}

NginxProcess::~NginxProcess() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  ::waitpid(pid_, nullptr, 0);
}

} // namespace es::test
