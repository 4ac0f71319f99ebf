# The benchmarks' lb-N spec, sourced by bench/run.sh, bench/profile.sh and
# .ci/speed: the production profile with N brokers, each behind its own
# LoadBalancer (helm_lb in bench/helm/setup.sh gives the chart the same).
lb() { # brokers
  printf 'name: bench\nprofile: production\nkafka:\n  brokers: %s\n  exposure:\n    mode: loadbalancer\n    hostTemplate: "b{id}.kafka.example.com"\n' "$1"
}
