#include <iostream>

#include "client/doctor.hpp"
#include "commands.hpp"

namespace es::cmd {

Run add_doctor_command(CLI::App& app) {
  auto* doctor = app.add_subcommand(
      "doctor", "Diagnose the path to a stream: buffering, compression, idle cuts, padding, resumption");
  doctor->footer("Examples:\n"
                 "  eventstream doctor 'http://127.0.0.1:8000/events/?channel=test'\n"
                 "  eventstream doctor 'https://example.com/events/?channel=test' \\\n"
                 "      --publish-url http://10.0.0.5:8000 --key s3cret --idle 75\n"
                 "\nWith --publish-url it publishes one 'doctor-probe' event to the URL's first channel and\n"
                 "times its arrival. Exit status 0 when no problem was found, 1 when some were.");
  auto o = std::make_shared<client::DoctorOptions>();
  auto idle = std::make_shared<unsigned>(30);
  doctor->add_option("url", o->url, "The stream's URL, as clients use it")->required();
  doctor->add_option("--publish-url", o->publish_url, "The server's publish endpoint (or its base URL), for a probe");
  doctor->add_option("--key", o->key, "Publish key (the server's --publish-key)")->envname("EVENTSTREAM_PUBLISH_KEY");
  with_env(doctor->add_option("--token", o->token, "User token for the stream, sent as Authorization: Bearer"));
  doctor->add_option("--idle", *idle, "Seconds to watch an idle stream (0: skip)")->capture_default_str();
  add_tls_trust_options(doctor, o->tls);

  return [o, idle] {
    o->idle = std::chrono::seconds(*idle);
    return client::doctor(*o, std::cout);
  };
}

} // namespace es::cmd
