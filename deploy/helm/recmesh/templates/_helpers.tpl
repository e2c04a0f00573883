{{/*
The apps and what the chart must know of each: the values key, the
environment variables of its HTTP and gRPC ports with their defaults (the
apps' config schemas in libs/; deploy/helm-chart.spec.ts compares them), and
what it needs: the store (MYSQL_URL), the popularity half-life, the served
model's settings, the shared models volume.
*/}}
{{- define "recmesh.apps" -}}
ingest:
  key: ingest
  http: {env: INGEST_PORT, port: 3001}
  store: true
feature-builder:
  key: featureBuilder
  http: {env: FEATURE_BUILDER_PORT, port: 3002}
  store: true
  popularity: true
scorer:
  key: scorer
  http: {env: SCORER_PORT, port: 3003}
  grpc: {env: SCORER_GRPC_PORT, port: 50052}
  store: true
  popularity: true
  servingModel: true
  models: true
bundler:
  key: bundler
  http: {env: BUNDLER_PORT, port: 3004}
  grpc: {env: BUNDLER_GRPC_PORT, port: 50053}
  store: true
  popularity: true
  servingModel: true
  models: true
gateway:
  key: gateway
  http: {env: GATEWAY_HTTP_PORT, port: 3006}
  grpc: {env: GATEWAY_GRPC_PORT, port: 50051}
feedback:
  key: feedback
  http: {env: FEEDBACK_PORT, port: 3005}
  grpc: {env: EXPERIMENTS_GRPC_PORT, port: 50054}
  adminGrpc: {env: PRIVACY_GRPC_PORT, port: 50055, name: privacy-grpc}
  store: true
  popularity: true
trainer:
  key: trainer
  http: {env: TRAINER_PORT, port: 3007}
  store: true
  models: true
{{- end }}

{{- define "recmesh.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Release-wide name prefix; each app's objects are "<fullname>-<app>" (kept within 52 characters so a CronJob's fits). */}}
{{- define "recmesh.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 36 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 36 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 36 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "recmesh.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of every object. */}}
{{- define "recmesh.labels" -}}
helm.sh/chart: {{ include "recmesh.chart" . }}
app.kubernetes.io/name: {{ include "recmesh.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: recmesh
{{- end }}

{{/* Selector labels of one app: (dict "root" $ "app" "scorer"). */}}
{{- define "recmesh.selectorLabels" -}}
app.kubernetes.io/name: {{ include "recmesh.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .app }}
{{- end }}

{{- define "recmesh.appLabels" -}}
{{ include "recmesh.labels" .root }}
app.kubernetes.io/component: {{ .app }}
{{- end }}

{{- define "recmesh.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "recmesh.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The image of one app: (dict "root" $ "app" "trainer"). */}}
{{- define "recmesh.image" -}}
{{- $tag := default .root.Chart.AppVersion .root.Values.image.tag }}
{{- if eq .app "trainer" }}
{{- $repo := default (printf "%s-trainer" .root.Values.image.repository) .root.Values.trainer.image.repository }}
{{- printf "%s:%s" $repo (default $tag .root.Values.trainer.image.tag) }}
{{- else }}
{{- printf "%s:%s" .root.Values.image.repository $tag }}
{{- end }}
{{- end }}

{{/* In-cluster host:port of an app's gRPC port. */}}
{{- define "recmesh.grpcAddress" -}}
{{- $apps := include "recmesh.apps" .root | fromYaml }}
{{- printf "%s-%s:%d" (include "recmesh.fullname" .root) .app (int (get (get $apps .app) "grpc").port) }}
{{- end }}

{{/* Percent-encodes a MYSQL_URL user or password (TypeORM decodes them with decodeURIComponent). */}}
{{- define "recmesh.urlEncode" -}}
{{- urlquery . | replace "+" "%20" }}
{{- end }}

{{/* The chart's own MySQL Secret, when mysql.existingSecret is not given. */}}
{{- define "recmesh.mysqlSecretName" -}}
{{- printf "%s-mysql" (include "recmesh.fullname" .) }}
{{- end }}

{{- define "recmesh.mysqlScheme" -}}
{{- if not (has .Values.mysql.flavor (list "mysql" "mariadb")) }}
{{- fail (printf "mysql.flavor must be mysql or mariadb, not %q" .Values.mysql.flavor) }}
{{- end }}
{{- .Values.mysql.flavor }}
{{- end }}

{{/* MYSQL_URL (and MYSQL_PASSWORD, only to be interpolated into it) for a container's env list. */}}
{{- define "recmesh.mysqlEnv" -}}
{{- $m := .Values.mysql }}
{{- if and $m.existingSecret $m.existingSecretUrlKey }}
- name: MYSQL_URL
  valueFrom:
    secretKeyRef:
      name: {{ $m.existingSecret }}
      key: {{ $m.existingSecretUrlKey }}
{{- else if $m.existingSecret }}
- name: MYSQL_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $m.existingSecret }}
      key: {{ required "mysql.existingSecretPasswordKey is required with mysql.existingSecret" $m.existingSecretPasswordKey }}
# Kubernetes expands $(MYSQL_PASSWORD): the password must be URL-safe, or stored percent-encoded.
- name: MYSQL_URL
  value: {{ printf "%s://%s:$(MYSQL_PASSWORD)@%s:%d/%s" (include "recmesh.mysqlScheme" .) (include "recmesh.urlEncode" $m.user) (required "mysql.host is required" $m.host) (int $m.port) $m.database | quote }}
{{- else }}
- name: MYSQL_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "recmesh.mysqlSecretName" . }}
      key: mysql-url
{{- end }}
{{- end }}

{{/* Checks of values that would otherwise deploy something broken. */}}
{{- define "recmesh.validate" -}}
{{- if eq (len .Values.kafka.brokers) 0 }}
{{- fail "kafka.brokers is required: the Kafka bootstrap brokers, host:port each" }}
{{- end }}
{{- range .Values.kafka.brokers }}
{{- if not (regexMatch "^[^\\s:,]+:[0-9]+$" .) }}
{{- fail (printf "kafka.brokers: %q is not host:port" .) }}
{{- end }}
{{- end }}
{{- $m := .Values.mysql }}
{{- if not (and $m.existingSecret $m.existingSecretUrlKey) }}
{{- if not $m.host }}
{{- fail "mysql.host is required (or mysql.existingSecret with mysql.existingSecretUrlKey)" }}
{{- end }}
{{- if and (not $m.existingSecret) (not $m.password) }}
{{- fail "mysql.password is required, or name a Secret holding it in mysql.existingSecret" }}
{{- end }}
{{- end }}
{{- if and .Values.gateway.enabled (not .Values.scorer.enabled) }}
{{- fail "gateway.enabled needs scorer.enabled: the gateway answers from the scorer" }}
{{- end }}
{{- if and .Values.trainer.enabled (not .Values.models.persistence.enabled) }}
{{- fail "trainer.enabled needs models.persistence.enabled: scorers and bundlers load the versions it trains from that volume" }}
{{- end }}
{{- end }}

{{/*
The non-secret environment of one app, as YAML (its ConfigMap's data): what
the chart sets, then <app>.config (and servingModel.config for scorer and
bundler). A key the chart sets may not be overridden: ports and addresses must
match the Services and probes.
*/}}
{{- define "recmesh.appEnv" -}}
{{- $root := .root }}
{{- $spec := .spec }}
{{- $values := get $root.Values $spec.key }}
{{- $env := dict
  "RECMESH_PROFILE" "kafka-mysql"
  "KAFKA_BROKERS" (join "," $root.Values.kafka.brokers)
  "RECMESH_TOPIC_PREFIX" $root.Values.kafka.topicPrefix
  "LOG_LEVEL" $root.Values.logLevel
}}
{{- include "recmesh.dataPlaneTlsEnv" (dict "root" $root "spec" $spec "env" $env) }}
{{- $_ := set $env $spec.http.env (toString $spec.http.port) }}
{{- /* Reached on the pod's address: keys (a mounted Secret) or the explicit opt-out, never silently open. */}}
{{- $_ := set $env "BIND_HOST" "0.0.0.0" }}
{{- if $root.Values.accessControl.apiKeysSecret }}
{{- $_ := set $env "RECMESH_API_KEYS_FILE" (printf "/etc/recmesh/api-keys/%s" $root.Values.accessControl.apiKeysSecretKey) }}
{{- else if $root.Values.accessControl.allowAnonymous }}
{{- $_ := set $env "RECMESH_ALLOW_ANONYMOUS" "true" }}
{{- else }}
{{- fail "accessControl: set apiKeysSecret (a Secret with the API keys file) or allowAnonymous=true (a trusted network): pods listen on 0.0.0.0" }}
{{- end }}
{{- if $spec.grpc }}{{ $_ := set $env $spec.grpc.env (toString $spec.grpc.port) }}{{ end }}
{{- if $spec.adminGrpc }}{{ $_ := set $env $spec.adminGrpc.env (toString $spec.adminGrpc.port) }}{{ end }}
{{- if $spec.popularity }}{{ $_ := set $env "POPULARITY_HALF_LIFE_HOURS" (toString $root.Values.popularityHalfLifeHours) }}{{ end }}
{{- if eq .app "gateway" }}
{{- $_ := set $env "SCORER_ADDRESS" (include "recmesh.grpcAddress" (dict "root" $root "app" "scorer")) }}
{{- $_ := set $env "BUNDLER_ADDRESS" (ternary (include "recmesh.grpcAddress" (dict "root" $root "app" "bundler")) "" $root.Values.bundler.enabled) }}
{{- $_ := set $env "EXPERIMENTS_ADDRESS" (ternary (include "recmesh.grpcAddress" (dict "root" $root "app" "feedback")) "" (and $root.Values.gateway.experiments $root.Values.feedback.enabled)) }}
{{- end }}
{{- if eq .app "trainer" }}
{{- $_ := set $env "TRAINER_MODELS_DIR" $root.Values.models.mountPath }}
{{- $_ := set $env "TRAINER_WORK_DIR" "/var/lib/recmesh/trainer-work" }}
{{- end }}
{{- /* set, not merge: sprig's merge would not let a `false` override a `true` */}}
{{- $user := dict }}
{{- if $spec.servingModel }}
{{- range $k, $v := $root.Values.servingModel.config }}{{ $_ := set $user $k $v }}{{ end }}
{{- end }}
{{- range $k, $v := ($values.config | default dict) }}{{ $_ := set $user $k $v }}{{ end }}
{{- range $k, $v := $user }}
{{- if hasKey $env $k }}
{{- fail (printf "%s.config.%s is set by the chart (ports, addresses, brokers, profile and directories follow the chart's values)" $spec.key $k) }}
{{- end }}
{{- if or (kindIs "map" $v) (kindIs "slice" $v) }}
{{- fail (printf "%s.config.%s must be a string, number or boolean" $spec.key $k) }}
{{- end }}
{{- $_ := set $env $k (toString $v) }}
{{- end }}
{{- toYaml $env }}
{{- end }}
