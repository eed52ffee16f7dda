job "greeter" {
  type = "service"
  datacenters = ["dc1"]
  meta = {
    "procfleet.app" = "greeter"
  }
  group "web" {
    count = 2
    meta = {
      "procfleet.app" = "greeter"
      "procfleet.process" = "web"
      "procfleet.fingerprint" = "6695590630369b22"
      "procfleet.spec" = "f46cc92d838d3e25"
      "procfleet.port" = "8000"
    }
    network {
      mode = "host"
      port "port" {
        to = 8000
      }
    }
    service {
      name = "greeter-web"
      port = "port"
      provider = "nomad"
      check {
        name = "health"
        type = "http"
        path = "/healthz"
        interval = "5s"
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
      driver = "docker"
      config {
        image = "procfleet-examples/greeter:1"
        entrypoint = ["/bin/sh", "-c"]
        args = ["export PROCFLEET_PROCESS=\"web.$((NOMAD_ALLOC_INDEX + 1))\"; exec python app.py web"]
        init = true
        ports = ["port"]
      }
      env = {
        "GREETING" = "hello from Nomad"
        "PORT" = "$${NOMAD_PORT_port}"
      }
      resources {
        cpu = 200
        memory = 64
      }
      kill_timeout = "10s"
      kill_signal = "SIGTERM"
    }
  }
  group "worker" {
    count = 1
    meta = {
      "procfleet.app" = "greeter"
      "procfleet.process" = "worker"
      "procfleet.fingerprint" = "9a701f3162eeaed2"
      "procfleet.spec" = "78af33a454509e8a"
    }
    restart {
      attempts = 3
      interval = "5m"
      delay = "15s"
      mode = "delay"
    }
    task "worker" {
      driver = "docker"
      config {
        image = "procfleet-examples/greeter:1"
        entrypoint = ["/bin/sh", "-c"]
        args = ["export PROCFLEET_PROCESS=\"worker.$((NOMAD_ALLOC_INDEX + 1))\"; exec python app.py worker"]
        init = true
      }
      env = {
        "GREETING" = "hello from Nomad"
      }
      resources {
        cpu = 100
        memory = 32
      }
      kill_timeout = "10s"
      kill_signal = "SIGINT"
    }
  }
  group "clock" {
    count = 1
    meta = {
      "procfleet.app" = "greeter"
      "procfleet.process" = "clock"
      "procfleet.fingerprint" = "5b745a42db983e71"
      "procfleet.spec" = "ea010b2d28df65f0"
    }
    restart {
      attempts = 2
      interval = "30m"
      delay = "15s"
      mode = "fail"
    }
    task "clock" {
      driver = "docker"
      config {
        image = "procfleet-examples/greeter:1"
        entrypoint = ["/bin/sh", "-c"]
        args = ["export PROCFLEET_PROCESS=\"clock.$((NOMAD_ALLOC_INDEX + 1))\"; exec python app.py clock --every $$${TICK:-30}"]
        init = true
      }
      env = {
        "GREETING" = "hello from Nomad"
        "TICK" = "20"
      }
      kill_timeout = "10s"
      kill_signal = "SIGTERM"
    }
  }
}
