job "hello" {
  type = "service"
  datacenters = ["*"]
  meta = {
    "procfleet.app" = "hello"
  }
  group "web" {
    count = 1
    meta = {
      "procfleet.app" = "hello"
      "procfleet.process" = "web"
      "procfleet.fingerprint" = "dd3fff6d777b7763"
      "procfleet.spec" = "f7fe85440c210469"
      "procfleet.port" = "8000"
    }
    network {
      mode = "host"
      port "port" {}
    }
    service {
      name = "hello-web"
      port = "port"
      provider = "nomad"
      check {
        name = "health"
        type = "http"
        path = "/"
        interval = "2s"
        timeout = "2s"
        check_restart {
          limit = 3
          grace = "0s"
        }
      }
    }
    restart {
      attempts = 3
      interval = "5m"
      delay = "15s"
      mode = "delay"
    }
    task "web" {
      driver = "exec"
      config {
        command = "/bin/sh"
        args = ["-c", "export PROCFLEET_PROCESS=\"web.$((NOMAD_ALLOC_INDEX + 1))\"; exec python3 -m http.server $PORT"]
      }
      env = {
        "GREETING" = "hello from procfleet"
        "PORT" = "$${NOMAD_PORT_port}"
      }
      kill_timeout = "5s"
      kill_signal = "SIGTERM"
    }
  }
  group "worker" {
    count = 2
    meta = {
      "procfleet.app" = "hello"
      "procfleet.process" = "worker"
      "procfleet.fingerprint" = "ebe5afa30a9a6cac"
      "procfleet.spec" = "ff86eae391b8f857"
    }
    restart {
      attempts = 3
      interval = "5m"
      delay = "15s"
      mode = "delay"
    }
    task "worker" {
      driver = "exec"
      config {
        command = "/bin/sh"
        args = ["-c", "export PROCFLEET_PROCESS=\"worker.$((NOMAD_ALLOC_INDEX + 1))\"; exec python3 worker.py"]
      }
      env = {
        "GREETING" = "hello from procfleet"
      }
      kill_timeout = "5s"
      kill_signal = "SIGTERM"
    }
  }
}
