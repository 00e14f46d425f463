#!/usr/bin/env bash
# Local PostgreSQL and Apache Kafka (KRaft, one node) on 127.0.0.1, without Docker.
#
#   scripts/services.sh start|stop|status|env
#   scripts/services.sh start-postgres|stop-postgres|status-postgres
#   scripts/services.sh start-kafka|stop-kafka|restart-kafka|status-kafka
#
#   eval "$(scripts/services.sh env)"   # CASEFLOW_TEST_DATABASE_URL, CASEFLOW_TEST_KAFKA_BOOTSTRAP
#
# PostgreSQL comes from the Debian package `postgresql` (installed with apt-get when missing) and
# runs as the distribution's `main` cluster. Kafka's jars and their runtime dependencies come from
# Maven Central through Maven and are cached, together with the broker's data, under
# ${CASEFLOW_SERVICES_DIR:-$HOME/.cache/caseflow-services}. Every verb is idempotent; `stop` then
# `start` keeps the data.
set -euo pipefail

HOME="${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}"
SERVICES_DIR="${CASEFLOW_SERVICES_DIR:-$HOME/.cache/caseflow-services}"

# PostgreSQL
PG_HOST=127.0.0.1
PG_PORT="${CASEFLOW_SERVICES_PG_PORT:-5432}"
PG_USER=caseflow
PG_PASSWORD=caseflow
PG_DB=caseflow

# Kafka
KAFKA_VERSION="${CASEFLOW_KAFKA_VERSION:-4.3.1}"
SCALA_BINARY=2.13
LOG4J_VERSION=2.25.3
DEPENDENCY_PLUGIN=org.apache.maven.plugins:maven-dependency-plugin:3.8.1
KAFKA_HOST=127.0.0.1
KAFKA_PORT="${CASEFLOW_SERVICES_KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${CASEFLOW_SERVICES_KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_HEAP="${CASEFLOW_SERVICES_KAFKA_HEAP:--Xms128m -Xmx512m}"
KAFKA_START_TIMEOUT=90
KAFKA_STOP_TIMEOUT=60

KAFKA_DIST="$SERVICES_DIR/kafka-$KAFKA_VERSION"   # pom.xml, libs/ (cache, version specific)
KAFKA_STATE="$SERVICES_DIR/kafka"                 # config, data, logs, pid (kept across runs)
KAFKA_LIBS="$KAFKA_DIST/libs"
KAFKA_CONFIG="$KAFKA_STATE/config"
KAFKA_DATA="$KAFKA_STATE/data"
KAFKA_LOGS="$KAFKA_STATE/logs"
KAFKA_PID="$KAFKA_STATE/kafka.pid"
KAFKA_OUT="$KAFKA_LOGS/kafka.out"
KAFKA_SERVER_LOG="$KAFKA_LOGS/server.log"

log() { printf '[services] %s\n' "$*" >&2; }
die() { printf '[services] ERROR: %s\n' "$*" >&2; exit 1; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo -n "$@" || die "needs root for: $* (sudo -n failed)"
    else
        die "needs root for: $*"
    fi
}

as_postgres() {
    if [ "$(id -u)" -eq 0 ]; then
        if command -v runuser >/dev/null 2>&1; then
            runuser -u postgres -- "$@"
        else
            su postgres -s /bin/sh -c "$(printf '%q ' "$@")"
        fi
    else
        sudo -n -u postgres "$@" || die "needs to run as user postgres: $*"
    fi
}

# port_open HOST PORT: true when a TCP connection succeeds within 2 s.
port_open() {
    timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null
}

# ---------------------------------------------------------------- PostgreSQL

pg_ensure_installed() {
    if command -v pg_lsclusters >/dev/null 2>&1 && ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
        return 0
    fi
    command -v apt-get >/dev/null 2>&1 || die "PostgreSQL is not installed and apt-get is not available"
    log "installing PostgreSQL (apt-get install postgresql)"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        postgresql >/dev/null
    ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || die "apt-get did not install a PostgreSQL server"
}

# Newest installed server version (one with a server binary, not just the client), e.g. 15.
pg_version() {
    local v="" d
    for d in /usr/lib/postgresql/*/bin/postgres; do
        [ -x "$d" ] || continue
        d="${d#/usr/lib/postgresql/}"
        d="${d%%/*}"
        if [[ "$d" =~ ^[0-9]+$ ]] && { [ -z "$v" ] || [ "$d" -gt "$v" ]; }; then
            v="$d"
        fi
    done
    [ -n "$v" ] || die "no PostgreSQL server found under /usr/lib/postgresql"
    printf '%s' "$v"
}

# pg_cluster_field VERSION COLUMN: a column of `pg_lsclusters` (3=port, 4=status) for cluster
# VERSION/main; empty when that cluster does not exist.
pg_cluster_field() {
    pg_lsclusters -h 2>/dev/null | awk -v v="$1" -v c="$2" '$1 == v && $2 == "main" { print $c }'
}

pg_wait_ready() {
    local i
    for i in $(seq 1 60); do
        if pg_isready -q -h "$PG_HOST" -p "$PG_PORT" 2>/dev/null; then
            return 0
        fi
        sleep 0.5
    done
    die "PostgreSQL did not accept connections on $PG_HOST:$PG_PORT within 30 s"
}

pg_start() {
    pg_ensure_installed
    local ver port status
    ver="$(pg_version)"
    if [ -z "$(pg_cluster_field "$ver" 3)" ]; then
        log "creating PostgreSQL $ver cluster 'main' on port $PG_PORT"
        as_root pg_createcluster --port "$PG_PORT" "$ver" main >/dev/null
    fi
    port="$(pg_cluster_field "$ver" 3)"
    [ "$port" = "$PG_PORT" ] ||
        die "PostgreSQL $ver/main is configured for port $port, expected $PG_PORT (set CASEFLOW_SERVICES_PG_PORT=$port to use it)"
    status="$(pg_cluster_field "$ver" 4)"
    if [ "$status" = "online" ]; then
        log "PostgreSQL $ver/main already running on port $PG_PORT"
    else
        log "starting PostgreSQL $ver/main"
        # 9>&-: the server must not inherit (and so hold) this script's lock.
        as_root pg_ctlcluster "$ver" main start 9>&-
    fi
    pg_wait_ready
    pg_provision
    log "PostgreSQL ready: $(pg_url)"
}

pg_provision() {
    local has_role has_db
    has_role="$(as_postgres psql -p "$PG_PORT" -XtAq -d postgres \
        -c "SELECT 1 FROM pg_roles WHERE rolname = '$PG_USER'")"
    if [ "$has_role" = "1" ]; then
        as_postgres psql -p "$PG_PORT" -Xq -v ON_ERROR_STOP=1 -d postgres \
            -c "ALTER ROLE $PG_USER WITH LOGIN CREATEDB PASSWORD '$PG_PASSWORD'" >/dev/null
    else
        log "creating role $PG_USER"
        as_postgres psql -p "$PG_PORT" -Xq -v ON_ERROR_STOP=1 -d postgres \
            -c "CREATE ROLE $PG_USER WITH LOGIN CREATEDB PASSWORD '$PG_PASSWORD'" >/dev/null
    fi
    # Tests drop their per-test databases WITH (FORCE): that needs leave to end other sessions.
    as_postgres psql -p "$PG_PORT" -Xq -v ON_ERROR_STOP=1 -d postgres \
        -c "GRANT pg_signal_backend TO $PG_USER" >/dev/null
    # A throwaway server for tests and development: trade crash durability for speed (each test
    # creates and drops a database). Reloadable settings, no restart needed.
    as_postgres psql -p "$PG_PORT" -Xq -v ON_ERROR_STOP=1 -d postgres \
        -c "ALTER SYSTEM SET fsync = off" -c "ALTER SYSTEM SET synchronous_commit = off" \
        -c "ALTER SYSTEM SET full_page_writes = off" -c "SELECT pg_reload_conf()" >/dev/null
    has_db="$(as_postgres psql -p "$PG_PORT" -XtAq -d postgres \
        -c "SELECT 1 FROM pg_database WHERE datname = '$PG_DB'")"
    if [ "$has_db" != "1" ]; then
        log "creating database $PG_DB"
        as_postgres createdb -p "$PG_PORT" -O "$PG_USER" "$PG_DB"
    fi
    # Prove that the password login over TCP works (what the application and tests do).
    PGPASSWORD="$PG_PASSWORD" psql -Xq -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d "$PG_DB" \
        -c 'SELECT 1' >/dev/null || die "cannot log in as $PG_USER over TCP on $PG_HOST:$PG_PORT"
}

pg_stop() {
    if ! command -v pg_lsclusters >/dev/null 2>&1; then
        log "PostgreSQL is not installed"
        return 0
    fi
    local ver
    ver="$(pg_version)"
    if [ "$(pg_cluster_field "$ver" 4)" = "online" ]; then
        log "stopping PostgreSQL $ver/main"
        as_root pg_ctlcluster "$ver" main stop -m fast
    else
        log "PostgreSQL $ver/main is not running"
    fi
}

pg_status() {
    if command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h "$PG_HOST" -p "$PG_PORT" 2>/dev/null; then
        echo "postgres: running on $PG_HOST:$PG_PORT ($(pg_url))"
        return 0
    fi
    echo "postgres: not running"
    return 1
}

pg_url() {
    printf 'postgresql://%s:%s@%s:%s/%s' "$PG_USER" "$PG_PASSWORD" "$PG_HOST" "$PG_PORT" "$PG_DB"
}

# --------------------------------------------------------------------- Kafka

kafka_fetch() {
    if [ -f "$KAFKA_DIST/.complete" ]; then
        return 0
    fi
    command -v mvn >/dev/null 2>&1 || die "Maven (mvn) is required to fetch Kafka"
    command -v java >/dev/null 2>&1 || die "Java 17+ is required to run Kafka"
    log "fetching Kafka $KAFKA_VERSION (kafka_$SCALA_BINARY and runtime dependencies) from Maven Central"
    mkdir -p "$KAFKA_DIST"
    rm -rf "$KAFKA_LIBS"
    cat >"$KAFKA_DIST/pom.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<!-- Throwaway pom: only used to resolve the Kafka broker's runtime classpath. -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.caseflow</groupId>
  <artifactId>kafka-runtime</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_$SCALA_BINARY</artifactId>
      <version>$KAFKA_VERSION</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-core</artifactId>
      <version>$LOG4J_VERSION</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-slf4j-impl</artifactId>
      <version>$LOG4J_VERSION</version>
    </dependency>
  </dependencies>
</project>
EOF
    local mvn_log="$KAFKA_DIST/mvn.log"
    if ! mvn -B -ntp -f "$KAFKA_DIST/pom.xml" \
        "$DEPENDENCY_PLUGIN:copy-dependencies" \
        -DincludeScope=runtime -DoutputDirectory="$KAFKA_LIBS" >"$mvn_log" 2>&1; then
        tail -n 40 "$mvn_log" >&2 || true
        die "Maven could not fetch Kafka $KAFKA_VERSION (full log: $mvn_log)"
    fi
    ls "$KAFKA_LIBS"/kafka_"$SCALA_BINARY"-"$KAFKA_VERSION".jar >/dev/null 2>&1 ||
        die "kafka_$SCALA_BINARY-$KAFKA_VERSION.jar missing after Maven ran (log: $mvn_log)"
    touch "$KAFKA_DIST/.complete"
    log "Kafka $KAFKA_VERSION: $(ls "$KAFKA_LIBS" | wc -l) jars in $KAFKA_LIBS"
}

# Sets JAVA_CMD: the JVM command line for Kafka's classes (flags as in Kafka's kafka-run-class.sh,
# with a modest heap).
kafka_java_cmd() {
    # shellcheck disable=SC2206
    JAVA_CMD=(java $KAFKA_HEAP -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20
        -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent
        -Djava.awt.headless=true
        "-Dlog4j2.configurationFile=$KAFKA_CONFIG/log4j2.properties"
        "-Dkafka.logs.dir=$KAFKA_LOGS"
        -cp "$KAFKA_LIBS/*")
}

kafka_java() {
    kafka_java_cmd
    "${JAVA_CMD[@]}" "$@"
}

kafka_write_config() {
    mkdir -p "$KAFKA_CONFIG" "$KAFKA_DATA" "$KAFKA_LOGS"
    cat >"$KAFKA_CONFIG/server.properties" <<EOF
# Written by scripts/services.sh: one KRaft node acting as broker and controller.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$KAFKA_HOST:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://$KAFKA_HOST:$KAFKA_PORT,CONTROLLER://$KAFKA_HOST:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$KAFKA_HOST:$KAFKA_PORT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
log.dirs=$KAFKA_DATA
num.partitions=6
default.replication.factor=1
min.insync.replicas=1
auto.create.topics.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=6
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=6
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=4
log.retention.hours=168
log.segment.bytes=134217728
EOF
    cat >"$KAFKA_CONFIG/log4j2.properties" <<'EOF'
# Written by scripts/services.sh: broker logs go to ${kafka.logs.dir}/server.log, and the
# broker's start/stop lines also to stdout (kafka.out, new at each start): the start-up check
# reads them there, where a rollover of server.log cannot carry them away.
status = warn
appender.out.type = Console
appender.out.name = OUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
logger.lifecycle.name = kafka.server.KafkaRaftServer
logger.lifecycle.level = INFO
logger.lifecycle.appenderRef.out.ref = OUT
appender.file.type = RollingFile
appender.file.name = FILE
appender.file.fileName = ${sys:kafka.logs.dir}/server.log
appender.file.filePattern = ${sys:kafka.logs.dir}/server.log.%i
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
appender.file.policies.type = Policies
appender.file.policies.size.type = SizeBasedTriggeringPolicy
appender.file.policies.size.size = 50MB
appender.file.strategy.type = DefaultRolloverStrategy
appender.file.strategy.max = 3
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = FILE
logger.kafka.name = kafka
logger.kafka.level = INFO
logger.apache.name = org.apache.kafka
logger.apache.level = INFO
EOF
}

kafka_format() {
    if [ -f "$KAFKA_DATA/meta.properties" ]; then
        return 0
    fi
    local cluster_id
    cluster_id="$(kafka_java kafka.tools.StorageTool random-uuid 2>>"$KAFKA_LOGS/storage-tool.log" | tail -n 1)"
    [ -n "$cluster_id" ] || die "could not generate a Kafka cluster id (see $KAFKA_LOGS/storage-tool.log)"
    log "formatting Kafka storage (cluster id $cluster_id)"
    kafka_java kafka.tools.StorageTool format --ignore-formatted \
        --cluster-id "$cluster_id" --config "$KAFKA_CONFIG/server.properties" \
        >>"$KAFKA_LOGS/storage-tool.log" 2>&1 ||
        { tail -n 20 "$KAFKA_LOGS/storage-tool.log" >&2; die "formatting Kafka storage failed"; }
}

# PID of our running broker, or nothing.
kafka_pid() {
    local pid
    [ -f "$KAFKA_PID" ] || return 0
    pid="$(cat "$KAFKA_PID" 2>/dev/null || true)"
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null &&
        tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep 'kafka\.Kafka' >/dev/null; then
        printf '%s' "$pid"
    fi
}

# Send a Kafka ApiVersions (v0) request and expect a response carrying our correlation id.
kafka_answers() {
    timeout 5 bash -c '
        exec 3<>"/dev/tcp/$1/$2" || exit 1
        # size=18 | api_key=18 ApiVersions | api_version=0 | correlation_id=0x43460001 | client_id "caseflow"
        printf "\x00\x00\x00\x12\x00\x12\x00\x00\x43\x46\x00\x01\x00\x08caseflow" >&3
        reply="$(head -c 8 <&3 | od -An -tx1 | tr -d " \n")"
        [ "${reply:8:8}" = "43460001" ]
    ' _ "$KAFKA_HOST" "$KAFKA_PORT" 2>/dev/null
}

kafka_start() {
    local pid
    pid="$(kafka_pid)"
    if [ -n "$pid" ] && kafka_answers; then
        log "Kafka already running (pid $pid) on $KAFKA_HOST:$KAFKA_PORT"
        return 0
    fi
    if [ -z "$pid" ] && port_open "$KAFKA_HOST" "$KAFKA_PORT"; then
        die "port $KAFKA_HOST:$KAFKA_PORT is taken by a process this script did not start"
    fi
    kafka_fetch
    kafka_write_config
    kafka_format
    if [ -z "$pid" ]; then
        rm -f "$KAFKA_PID"
        kafka_java_cmd
        log "starting Kafka $KAFKA_VERSION on $KAFKA_HOST:$KAFKA_PORT (logs: $KAFKA_LOGS)"
        # setsid + closed stdio: the broker outlives this script and holds no pipe of its caller
        # (nor the lock on fd 9).
        setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$KAFKA_PID" \
            "${JAVA_CMD[@]}" kafka.Kafka "$KAFKA_CONFIG/server.properties" \
            </dev/null >"$KAFKA_OUT" 2>&1 9>&- &
        disown $! 2>/dev/null || true
    else
        log "Kafka process $pid exists but does not answer yet; waiting for it"
    fi
    local deadline=$((SECONDS + KAFKA_START_TIMEOUT))
    while [ "$SECONDS" -lt "$deadline" ]; do
        sleep 1
        pid="$(kafka_pid)"
        if [ -z "$pid" ]; then
            log "Kafka exited during start-up; last output:"
            tail -n 30 "$KAFKA_OUT" >&2 2>/dev/null || true
            tail -n 30 "$KAFKA_SERVER_LOG" >&2 2>/dev/null || true
            die "Kafka did not start"
        fi
        # The socket answers before the broker has finished starting: wait for its own word.
        if grep -q 'Kafka Server started' "$KAFKA_OUT" 2>/dev/null && kafka_answers; then
            log "Kafka ready on $KAFKA_HOST:$KAFKA_PORT (pid $pid)"
            return 0
        fi
    done
    tail -n 30 "$KAFKA_SERVER_LOG" >&2 2>/dev/null || true
    die "Kafka did not become ready within ${KAFKA_START_TIMEOUT} s (pid $pid, logs: $KAFKA_LOGS)"
}

kafka_stop() {
    local pid
    pid="$(kafka_pid)"
    if [ -z "$pid" ]; then
        rm -f "$KAFKA_PID"
        log "Kafka is not running"
        return 0
    fi
    log "stopping Kafka (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + KAFKA_STOP_TIMEOUT))
    while kill -0 "$pid" 2>/dev/null; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            log "Kafka did not stop within ${KAFKA_STOP_TIMEOUT} s; killing it"
            kill -KILL "$pid" 2>/dev/null || true
            sleep 1
            break
        fi
        sleep 0.5
    done
    rm -f "$KAFKA_PID"
    log "Kafka stopped"
}

kafka_status() {
    local pid
    pid="$(kafka_pid)"
    if [ -n "$pid" ] && kafka_answers; then
        echo "kafka: running on $KAFKA_HOST:$KAFKA_PORT (pid $pid, version $KAFKA_VERSION)"
        return 0
    elif [ -n "$pid" ]; then
        echo "kafka: process $pid exists but does not answer on $KAFKA_HOST:$KAFKA_PORT"
        return 1
    fi
    echo "kafka: not running"
    return 1
}

print_env() {
    printf 'export CASEFLOW_TEST_DATABASE_URL=%q\n' "$(pg_url)"
    printf 'export CASEFLOW_TEST_KAFKA_BOOTSTRAP=%q\n' "$KAFKA_HOST:$KAFKA_PORT"
    # So the test fixtures that stop/start the broker address the same state directory.
    printf 'export CASEFLOW_SERVICES_DIR=%q\n' "$SERVICES_DIR"
}

usage() {
    cat >&2 <<'EOF'
usage: scripts/services.sh VERB
  start | stop | status | env
  start-postgres | stop-postgres | status-postgres
  start-kafka | stop-kafka | restart-kafka | status-kafka
EOF
    exit 2
}

# Serialise verbs that change state (two `start`s at once must not both format or launch Kafka).
lock() {
    mkdir -p "$SERVICES_DIR"
    if command -v flock >/dev/null 2>&1; then
        exec 9>"$SERVICES_DIR/.lock"
        flock -w 300 9 || die "another scripts/services.sh holds $SERVICES_DIR/.lock"
    fi
}

main() {
    [ $# -eq 1 ] || usage
    case "$1" in
    start | stop | start-* | stop-* | restart-*) lock ;;
    esac
    case "$1" in
    start) pg_start; kafka_start ;;
    stop) kafka_stop; pg_stop ;;
    status)
        local rc=0
        pg_status || rc=1
        kafka_status || rc=1
        return "$rc"
        ;;
    env) print_env ;;
    start-postgres) pg_start ;;
    stop-postgres) pg_stop ;;
    status-postgres) pg_status ;;
    start-kafka) kafka_start ;;
    stop-kafka) kafka_stop ;;
    restart-kafka) kafka_stop; kafka_start ;;
    status-kafka) kafka_status ;;
    -h | --help | help) usage ;;
    *) usage ;;
    esac
}

main "$@"
