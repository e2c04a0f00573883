{{/*
TLS/SASL towards Kafka and TLS towards MySQL (README, "Kafka and MySQL TLS").
PEM files come from Secrets you manage, mounted read-only; the SASL password
from a Secret key, never from the values.
*/}}
{{- define "recmesh.kafkaTlsDir" -}}/etc/recmesh/kafka-tls{{- end }}
{{- define "recmesh.mysqlTlsDir" -}}/etc/recmesh/mysql-tls{{- end }}

{{/* Sets the non-secret settings into an app's env dict: (dict "root" $ "spec" $spec "env" $env). */}}
{{- define "recmesh.dataPlaneTlsEnv" -}}
{{- $k := .root.Values.kafka }}
{{- $env := .env }}
{{- if $k.tls.enabled }}
{{- $_ := set $env "KAFKA_SSL" "true" }}
{{- $_ := set $env "KAFKA_SSL_REJECT_UNAUTHORIZED" (toString $k.tls.rejectUnauthorized) }}
{{- range $setting, $key := dict "KAFKA_SSL_CA_FILE" $k.tls.caKey "KAFKA_SSL_CERT_FILE" $k.tls.certKey "KAFKA_SSL_KEY_FILE" $k.tls.keyKey }}
{{- if $key }}{{ $_ := set $env $setting (printf "%s/%s" (include "recmesh.kafkaTlsDir" .) $key) }}{{ end }}
{{- end }}
{{- end }}
{{- if ne $k.sasl.mechanism "none" }}
{{- $_ := set $env "KAFKA_SASL_MECHANISM" $k.sasl.mechanism }}
{{- $_ := set $env "KAFKA_SASL_USERNAME" $k.sasl.username }}
{{- end }}
{{- $m := .root.Values.mysql }}
{{- if and .spec.store $m.tls.enabled }}
{{- $_ := set $env "MYSQL_SSL" "true" }}
{{- $_ := set $env "MYSQL_SSL_REJECT_UNAUTHORIZED" (toString $m.tls.rejectUnauthorized) }}
{{- range $setting, $key := dict "MYSQL_SSL_CA_FILE" $m.tls.caKey "MYSQL_SSL_CERT_FILE" $m.tls.certKey "MYSQL_SSL_KEY_FILE" $m.tls.keyKey }}
{{- if $key }}{{ $_ := set $env $setting (printf "%s/%s" (include "recmesh.mysqlTlsDir" .) $key) }}{{ end }}
{{- end }}
{{- end }}
{{- end }}

{{/* KAFKA_SASL_PASSWORD for a container's env list, from kafka.sasl.existingSecret. */}}
{{- define "recmesh.kafkaSaslEnv" -}}
{{- $s := .Values.kafka.sasl }}
{{- if ne $s.mechanism "none" }}
- name: KAFKA_SASL_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $s.existingSecret }}
      key: {{ $s.existingSecretPasswordKey }}
{{- end }}
{{- end }}

{{/* volumeMounts of the TLS Secrets: (dict "root" $ "spec" $spec). */}}
{{- define "recmesh.dataPlaneTlsVolumeMounts" -}}
{{- if and .root.Values.kafka.tls.enabled .root.Values.kafka.tls.secret }}
- name: kafka-tls
  mountPath: {{ include "recmesh.kafkaTlsDir" . }}
  readOnly: true
{{- end }}
{{- if and .spec.store .root.Values.mysql.tls.enabled .root.Values.mysql.tls.secret }}
- name: mysql-tls
  mountPath: {{ include "recmesh.mysqlTlsDir" . }}
  readOnly: true
{{- end }}
{{- end }}

{{/* volumes of the TLS Secrets: (dict "root" $ "spec" $spec). */}}
{{- define "recmesh.dataPlaneTlsVolumes" -}}
{{- if and .root.Values.kafka.tls.enabled .root.Values.kafka.tls.secret }}
- name: kafka-tls
  secret:
    secretName: {{ .root.Values.kafka.tls.secret }}
{{- end }}
{{- if and .spec.store .root.Values.mysql.tls.enabled .root.Values.mysql.tls.secret }}
- name: mysql-tls
  secret:
    secretName: {{ .root.Values.mysql.tls.secret }}
{{- end }}
{{- end }}

{{/* Values that would deploy a service that cannot connect. */}}
{{- define "recmesh.validateDataPlaneTls" -}}
{{- $k := .Values.kafka }}
{{- if not (has $k.sasl.mechanism (list "none" "plain" "scram-sha-256" "scram-sha-512")) }}
{{- fail (printf "kafka.sasl.mechanism must be none, plain, scram-sha-256 or scram-sha-512, not %q" $k.sasl.mechanism) }}
{{- end }}
{{- if and (ne $k.sasl.mechanism "none") (not (and $k.sasl.username $k.sasl.existingSecret $k.sasl.existingSecretPasswordKey)) }}
{{- fail "kafka.sasl: a mechanism needs username and existingSecret (with existingSecretPasswordKey) holding the password" }}
{{- end }}
{{- range $name, $tls := dict "kafka" $k.tls "mysql" .Values.mysql.tls }}
{{- if and $tls.enabled (or $tls.caKey $tls.certKey $tls.keyKey) (not $tls.secret) }}
{{- fail (printf "%s.tls: caKey/certKey/keyKey name keys of %s.tls.secret, which is empty" $name $name) }}
{{- end }}
{{- if ne (empty $tls.certKey) (empty $tls.keyKey) }}
{{- fail (printf "%s.tls: certKey and keyKey go together (a client certificate and its key)" $name) }}
{{- end }}
{{- end }}
{{- end }}
