#!/usr/bin/env bash
# Local single-node Apache Kafka (KRaft, combined broker+controller) from jars
# fetched from Maven Central (see tools/infra/kafka/pom.xml). No Docker needed.
#
#   tools/infra/kafka.sh start|stop|restart|status|env|topics [TopicCommand args]|reset|fetch
#   tools/infra/kafka.sh run-class <main class> [args...]   # any class from the jars
#
# Kafka is pinned to 3.9.x on purpose: kafkajs 2.2.4 (our Node client) does not
# speak Kafka 4.x well. Keep KAFKA_VERSION in sync with kafka/pom.xml.
#
# Env: KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (9093), KAFKA_HEAP_OPTS
#      (-Xms256m -Xmx1g), KAFKA_MESSAGE_MAX_BYTES (4194304), RECMESH_CACHE
#      (~/.cache/recmesh), RECMESH_RUN (/tmp/recmesh-run), KAFKA_START_TIMEOUT (60).
# TLS (optional; the PLAINTEXT listener on KAFKA_PORT always stays, for the tools):
#      KAFKA_SSL_PORT adds an SSL listener, KAFKA_SASL_SSL_PORT a SASL_SSL one; both
#      need KAFKA_SSL_CERT_FILE + KAFKA_SSL_KEY_FILE (PEM, key unencrypted PKCS#8).
#      KAFKA_SSL_CA_FILE (PEM) + KAFKA_SSL_CLIENT_AUTH (none|requested|required)
#      check client certificates. KAFKA_SASL_USERS="name:password,..." are the
#      SASL users, for PLAIN and SCRAM-SHA-256/512 (SCRAM credentials are written
#      when the data dir is formatted, i.e. on the first start only).
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
INFRA_NAME=kafka
# shellcheck source=lib.sh
. "$SCRIPT_DIR/lib.sh"

KAFKA_VERSION=3.9.2
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx1g}"
KAFKA_MESSAGE_MAX_BYTES="${KAFKA_MESSAGE_MAX_BYTES:-4194304}"
KAFKA_START_TIMEOUT="${KAFKA_START_TIMEOUT:-60}"
KAFKA_SSL_PORT="${KAFKA_SSL_PORT:-}"
KAFKA_SASL_SSL_PORT="${KAFKA_SASL_SSL_PORT:-}"
KAFKA_SASL_USERS="${KAFKA_SASL_USERS:-}"
# Fixed cluster id (base64 of "recmesh-local-01"): the data dir is formatted once
# and reused across restarts.
KAFKA_CLUSTER_ID=cmVjbWVzaC1sb2NhbC0wMQ
DEP_PLUGIN=org.apache.maven.plugins:maven-dependency-plugin:3.6.1

POM="$SCRIPT_DIR/kafka/pom.xml"
KAFKA_HOME="$RECMESH_CACHE/kafka-$KAFKA_VERSION"
LIBS="$KAFKA_HOME/libs"
M2_REPO="$RECMESH_CACHE/m2"
RUN_DIR="$RECMESH_RUN/kafka"
DATA_DIR="$RUN_DIR/data"
LOG_DIR="$RUN_DIR/logs"
PID_FILE="$RUN_DIR/kafka.pid"
PROPS="$RUN_DIR/server.properties"
BROKER_LOG="$LOG_DIR/server.log"
BROKER_OUT="$RUN_DIR/kafka.out"
TOOLS_LOG4J="$RUN_DIR/tools-log4j.properties"
BOOTSTRAP="127.0.0.1:$KAFKA_PORT"

need_java() {
  if ! command -v java >/dev/null 2>&1; then
    infra_log "java not found, installing openjdk-17-jre-headless"
    apt_install openjdk-17-jre-headless
  fi
}

# Download the jars once (idempotent; keyed on the pom's checksum).
fetch_jars() {
  local sum stamp="$LIBS/.complete"
  sum="$(sha256sum "$POM" | cut -d' ' -f1)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sum" ]; then
    return 0
  fi
  mkdir -p "$RECMESH_CACHE"
  exec 8>"$RECMESH_CACHE/.kafka-fetch.lock"
  flock 8
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sum" ]; then
    exec 8>&-; return 0
  fi
  command -v mvn >/dev/null 2>&1 || apt_install maven
  need_java
  infra_log "fetching Kafka $KAFKA_VERSION jars from Maven Central into $LIBS"
  local tmp="$KAFKA_HOME/libs.tmp.$$"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  local mvn_log="$KAFKA_HOME/mvn-fetch.log"
  local mvn_args=(-B -ntp -Dstyle.color=never -f "$POM" -Dmaven.repo.local="$M2_REPO"
                  "$DEP_PLUGIN:copy-dependencies" -DincludeScope=runtime -DoutputDirectory="$tmp")
  # offline first (the Maven repo cache may already hold everything), then online
  if ! { [ -d "$M2_REPO" ] && mvn -o "${mvn_args[@]}" >"$mvn_log" 2>&1; } \
     && ! mvn "${mvn_args[@]}" >"$mvn_log" 2>&1; then
    tail -n 40 "$mvn_log" >&2
    rm -rf "$tmp"
    infra_die "mvn dependency:copy-dependencies failed (full log: $mvn_log)"
  fi
  ls "$tmp"/kafka_2.13-"$KAFKA_VERSION".jar >/dev/null 2>&1 || infra_die "kafka jar missing after fetch"
  rm -rf "$LIBS"
  mv "$tmp" "$LIBS"
  echo "$sum" >"$stamp"
  infra_log "$(find "$LIBS" -name '*.jar' | wc -l) jars, $(du -sh "$LIBS" | cut -f1)"
  exec 8>&-
}

# Listeners besides PLAINTEXT: SSL and/or SASL_SSL when their ports are set.
extra_listeners() {
  [ -n "$KAFKA_SSL_PORT" ] && printf ',SSL://127.0.0.1:%s' "$KAFKA_SSL_PORT"
  [ -n "$KAFKA_SASL_SSL_PORT" ] && printf ',SASL_SSL://127.0.0.1:%s' "$KAFKA_SASL_SSL_PORT"
  return 0
}

# SASL users as name/password pairs, one per line; names and passwords are
# restricted so they can go into the JAAS line and the format arguments as they are.
sasl_users() {
  local entry
  for entry in ${KAFKA_SASL_USERS//,/ }; do
    [[ "$entry" =~ ^[A-Za-z0-9._-]+:[A-Za-z0-9._-]+$ ]] \
      || infra_die "KAFKA_SASL_USERS entry '${entry%%:*}:...' must be name:password of [A-Za-z0-9._-]"
    printf '%s %s\n' "${entry%%:*}" "${entry#*:}"
  done
}

write_tls_config() {
  [ -n "$KAFKA_SSL_PORT$KAFKA_SASL_SSL_PORT" ] || return 0
  sasl_users >/dev/null # fails here, in this shell, on a malformed entry
  local f
  for f in KAFKA_SSL_CERT_FILE KAFKA_SSL_KEY_FILE; do
    [ -r "${!f:-}" ] || infra_die "$f must name a readable PEM file when KAFKA_SSL_PORT or KAFKA_SASL_SSL_PORT is set"
  done
  # Kafka's PEM keystore is one file: the private key, then the certificate chain.
  cat "$KAFKA_SSL_KEY_FILE" "$KAFKA_SSL_CERT_FILE" >"$RUN_DIR/keystore.pem"
  chmod 600 "$RUN_DIR/keystore.pem"
  {
    echo
    echo "# TLS (KAFKA_SSL_* / KAFKA_SASL_*)"
    echo "ssl.keystore.type=PEM"
    echo "ssl.keystore.location=$RUN_DIR/keystore.pem"
    if [ -n "${KAFKA_SSL_CA_FILE:-}" ]; then
      echo "ssl.truststore.type=PEM"
      echo "ssl.truststore.location=$KAFKA_SSL_CA_FILE"
    fi
    echo "ssl.client.auth=${KAFKA_SSL_CLIENT_AUTH:-none}"
    if [ -n "$KAFKA_SASL_SSL_PORT" ]; then
      local plain="org.apache.kafka.common.security.plain.PlainLoginModule required" name password
      while read -r name password; do plain+=" user_$name=\"$password\""; done < <(sasl_users)
      echo "sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512"
      echo "listener.name.sasl_ssl.plain.sasl.jaas.config=$plain;"
      echo "listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;"
      echo "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;"
    fi
  } >>"$PROPS"
}

# StorageTool arguments that create the SASL users' SCRAM credentials.
scram_format_args() {
  local name password
  while read -r name password; do
    printf -- '--add-scram\nSCRAM-SHA-256=[name=%s,password=%s]\n--add-scram\nSCRAM-SHA-512=[name=%s,password=%s]\n' "$name" "$password" "$name" "$password"
  done < <(sasl_users)
}

write_config() {
  mkdir -p "$RUN_DIR" "$DATA_DIR" "$LOG_DIR"
  cat >"$PROPS" <<EOF
# Generated by tools/infra/kafka.sh -- edits are overwritten on start.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT$(extra_listeners)
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT$(extra_listeners)
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_SSL:SASL_SSL
log.dirs=$DATA_DIR

# single node
num.partitions=6
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=10
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
delete.topic.enable=true

# large messages: the app rejects ~1.5 MB events itself, the broker must not
message.max.bytes=$KAFKA_MESSAGE_MAX_BYTES
replica.fetch.max.bytes=$KAFKA_MESSAGE_MAX_BYTES

# small machine
num.network.threads=2
num.io.threads=4
background.threads=4
num.recovery.threads.per.data.dir=1
log.retention.hours=24
log.segment.bytes=134217728
log.cleaner.dedupe.buffer.size=16777216
EOF
  write_tls_config
  cat >"$RUN_DIR/log4j.properties" <<EOF
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.RollingFileAppender
log4j.appender.file.File=$BROKER_LOG
log4j.appender.file.MaxFileSize=20MB
log4j.appender.file.MaxBackupIndex=3
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.log.LogCleaner=WARN
log4j.logger.org.apache.kafka.storage.internals.log=WARN
log4j.logger.kafka.log=WARN
EOF
  cat >"$TOOLS_LOG4J" <<'EOF'
log4j.rootLogger=WARN, stderr
log4j.appender.stderr=org.apache.log4j.ConsoleAppender
log4j.appender.stderr.Target=System.err
log4j.appender.stderr.layout=org.apache.log4j.PatternLayout
log4j.appender.stderr.layout.ConversionPattern=[%d] %p %m (%c)%n
EOF
}

# Run a class from the Kafka jars (CLI tools) with a small heap, quiet logging.
run_class() {
  [ -f "$TOOLS_LOG4J" ] || write_config
  java -Xms32m -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$TOOLS_LOG4J" -cp "$LIBS/*" "$@"
}

running_pid() {
  local pid
  if [ -f "$PID_FILE" ]; then
    pid="$(cat "$PID_FILE" 2>/dev/null || true)"
    if pid_alive "$pid" && pid_cmdline_has "$pid" kafka.Kafka; then
      echo "$pid"; return 0
    fi
  fi
  # pid file lost? look for a broker started with our config file
  pid="$(find_pids_with "$PROPS" | head -n1)"
  if [ -n "$pid" ]; then
    echo "$pid" >"$PID_FILE"
    echo "$pid"; return 0
  fi
  return 1
}

broker_ready() {
  port_open 127.0.0.1 "$KAFKA_PORT" || return 1
  run_class org.apache.kafka.tools.TopicCommand --bootstrap-server "$BOOTSTRAP" --list \
    >/dev/null 2>&1
}

cmd_start() {
  mkdir -p "$RUN_DIR"
  exec 9>"$RUN_DIR/.lock"
  flock 9
  local pid
  if pid="$(running_pid)"; then
    infra_log "already running (pid $pid) on $BOOTSTRAP; log: $BROKER_LOG"
    return 0
  fi
  rm -f "$PID_FILE"
  if port_open 127.0.0.1 "$KAFKA_PORT"; then
    infra_die "port $KAFKA_PORT is in use by another process (set KAFKA_PORT)"
  fi
  if port_open 127.0.0.1 "$KAFKA_CONTROLLER_PORT"; then
    infra_die "port $KAFKA_CONTROLLER_PORT is in use by another process (set KAFKA_CONTROLLER_PORT)"
  fi
  need_java
  fetch_jars
  write_config
  if [ ! -f "$DATA_DIR/meta.properties" ]; then
    infra_log "formatting storage in $DATA_DIR (cluster id $KAFKA_CLUSTER_ID)"
    local scram_args=()
    mapfile -t scram_args < <(scram_format_args)
    run_class kafka.tools.StorageTool format -t "$KAFKA_CLUSTER_ID" -c "$PROPS" --ignore-formatted "${scram_args[@]}" >&2
  fi
  infra_log "starting broker on $BOOTSTRAP (controller 127.0.0.1:$KAFKA_CONTROLLER_PORT)"
  # shellcheck disable=SC2086
  # shellcheck disable=SC2016
  setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$PID_FILE" \
    java $KAFKA_HEAP_OPTS -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
      -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent \
      -Djava.awt.headless=true \
      -Dlog4j.configuration="file:$RUN_DIR/log4j.properties" \
      -Dkafka.logs.dir="$LOG_DIR" \
      -cp "$LIBS/*" kafka.Kafka "$PROPS" \
    </dev/null >"$BROKER_OUT" 2>&1 9>&- &
  local i deadline=$((SECONDS + KAFKA_START_TIMEOUT))
  for ((i = 0; i < 50; i++)); do [ -s "$PID_FILE" ] && break; sleep 0.1; done
  pid="$(cat "$PID_FILE")"
  while :; do
    if ! pid_alive "$pid"; then
      tail -n 30 "$BROKER_LOG" "$BROKER_OUT" >&2 2>/dev/null || true
      rm -f "$PID_FILE"
      infra_die "broker exited during startup; see $BROKER_LOG and $BROKER_OUT"
    fi
    if broker_ready; then break; fi
    if ((SECONDS >= deadline)); then
      tail -n 30 "$BROKER_LOG" >&2 2>/dev/null || true
      stop_pid "$pid" "kafka broker" 15
      rm -f "$PID_FILE"
      infra_die "broker not ready after ${KAFKA_START_TIMEOUT}s (stopped it); see $BROKER_LOG"
    fi
    sleep 0.5
  done
  infra_log "ready (pid $pid) on $BOOTSTRAP; log: $BROKER_LOG"
}

cmd_stop() {
  mkdir -p "$RUN_DIR"
  exec 9>"$RUN_DIR/.lock"
  flock 9
  local pid
  if pid="$(running_pid)"; then
    stop_pid "$pid" "kafka broker" "${KAFKA_STOP_TIMEOUT:-30}"
    infra_log "stopped"
  else
    infra_log "not running"
  fi
  rm -f "$PID_FILE"
}

cmd_status() {
  local pid
  if pid="$(running_pid)"; then
    if port_open 127.0.0.1 "$KAFKA_PORT"; then
      echo "kafka: running (pid $pid) on $BOOTSTRAP; log: $BROKER_LOG"
    else
      echo "kafka: starting/unhealthy (pid $pid), port $KAFKA_PORT not open; log: $BROKER_LOG"
    fi
    return 0
  fi
  echo "kafka: stopped"
  return 3
}

cmd_topics() {
  running_pid >/dev/null || infra_die "broker is not running"
  if [ $# -eq 0 ]; then set -- --list; fi
  run_class org.apache.kafka.tools.TopicCommand --bootstrap-server "$BOOTSTRAP" "$@"
}

cmd_reset() {
  cmd_stop
  infra_log "deleting $DATA_DIR and logs"
  rm -rf "$DATA_DIR" "$LOG_DIR"
}

usage() {
  sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  restart) cmd_stop; cmd_start ;;
  status) cmd_status ;;
  env) echo "export KAFKA_BROKERS=$BOOTSTRAP" ;;
  topics) shift; cmd_topics "$@" ;;
  reset) cmd_reset ;;
  fetch) need_java; fetch_jars; echo "$LIBS" ;;
  run-class) shift; [ $# -ge 1 ] || usage; fetch_jars; run_class "$@" ;;
  *) usage ;;
esac
