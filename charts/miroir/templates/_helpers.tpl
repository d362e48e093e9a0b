{{/* Names and labels. */}}

{{- define "miroir.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "miroir.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Name of a companion object: "<fullname>-<suffix>", within 63 characters. */}}
{{- define "miroir.component" -}}
{{- $root := index . 0 -}}
{{- $suffix := index . 1 -}}
{{- printf "%s-%s" (include "miroir.fullname" $root | trunc (int (sub 62 (len $suffix))) | trimSuffix "-") $suffix -}}
{{- end -}}

{{- define "miroir.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "miroir.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: miroir
{{- end -}}

{{/* Selector of the Miroir pods (proxy component). */}}
{{- define "miroir.selectorLabels" -}}
app.kubernetes.io/name: {{ include "miroir.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: proxy
{{- end -}}

{{- define "miroir.redisSelectorLabels" -}}
app.kubernetes.io/name: {{ include "miroir.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: redis
{{- end -}}

{{- define "miroir.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "miroir.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "miroir.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* Prometheus job name of the scraped pods (ServiceMonitor jobLabel). */}}
{{- define "miroir.job" -}}
{{- include "miroir.fullname" . -}}
{{- end -}}

{{/* True ("true") when the instances share a Redis store. */}}
{{- define "miroir.sharedStore" -}}
{{- if or .Values.redis.enabled .Values.redis.external.url -}}true{{- end -}}
{{- end -}}

{{- define "miroir.redisUrl" -}}
{{- if .Values.redis.enabled -}}
{{- printf "redis://%s:6379/0" (include "miroir.component" (list . "redis")) -}}
{{- else -}}
{{- .Values.redis.external.url -}}
{{- end -}}
{{- end -}}

{{/* Instances that should be running (the alert rules' expectation). */}}
{{- define "miroir.expectedInstances" -}}
{{- if .Values.autoscaling.enabled -}}
{{- .Values.autoscaling.minReplicas -}}
{{- else -}}
{{- .Values.replicaCount -}}
{{- end -}}
{{- end -}}

{{/*
Checks that need more than values.schema.json can say (it compares no two
values). Rendered once, from configmap.yaml; fails the release with one line.
*/}}
{{- define "miroir.validate" -}}
{{- $v := .Values -}}
{{- if and (or (gt (int $v.replicaCount) 1) $v.autoscaling.enabled) (not (include "miroir.sharedStore" .)) -}}
{{- fail "replicaCount > 1 (or autoscaling) needs a shared store: set redis.enabled or redis.external.url (the SQLite store serves one instance)" -}}
{{- end -}}
{{- if and $v.redis.enabled $v.redis.external.url -}}
{{- fail "redis.enabled and redis.external.url are exclusive: run a Redis here or point at yours, not both" -}}
{{- end -}}
{{- if eq (int $v.listen.port) (int $v.listen.metricsPort) -}}
{{- fail "listen.metricsPort must differ from listen.port" -}}
{{- end -}}
{{- if and $v.metrics.serviceMonitor.enabled (not $v.metrics.enabled) -}}
{{- fail "metrics.serviceMonitor.enabled needs metrics.enabled (the metrics listener)" -}}
{{- end -}}
{{- if and $v.autoscaling.enabled (gt (int $v.autoscaling.minReplicas) (int $v.autoscaling.maxReplicas)) -}}
{{- fail "autoscaling.minReplicas must not exceed autoscaling.maxReplicas" -}}
{{- end -}}
{{- if eq $v.auth.masterKey.secretName "" -}}
{{- fail "auth.masterKey.secretName is required (a Secret holding the master key)" -}}
{{- end -}}
{{- if eq $v.auth.adminKey.secretName "" -}}
{{- fail "auth.adminKey.secretName is required (the readiness probe uses the admin key)" -}}
{{- end -}}
{{- if and (eq $v.auth.masterKey.secretName $v.auth.adminKey.secretName) (eq $v.auth.masterKey.key $v.auth.adminKey.key) -}}
{{- fail "auth.adminKey must not be the master key (same Secret and key)" -}}
{{- end -}}
{{- $groupIds := dict -}}
{{- $nodeIds := dict -}}
{{- $addresses := dict -}}
{{- range $i, $g := $v.cluster.groups -}}
{{- if hasKey $groupIds $g.id -}}
{{- fail (printf "cluster.groups[%d].id: group id %q is used twice" $i $g.id) -}}
{{- end -}}
{{- $_ := set $groupIds $g.id true -}}
{{- if lt (len $g.nodes) (int $v.cluster.replicationFactor) -}}
{{- fail (printf "cluster.replicationFactor %d is larger than group %q, which has %d node(s)" (int $v.cluster.replicationFactor) $g.id (len $g.nodes)) -}}
{{- end -}}
{{- range $j, $n := $g.nodes -}}
{{- if hasKey $nodeIds $n.id -}}
{{- fail (printf "cluster.groups[%d].nodes[%d].id: node id %q is used twice" $i $j $n.id) -}}
{{- end -}}
{{- $_ := set $nodeIds $n.id true -}}
{{- if hasKey $addresses $n.address -}}
{{- fail (printf "cluster.groups[%d].nodes[%d].address: %q is used twice" $i $j $n.address) -}}
{{- end -}}
{{- $_ := set $addresses $n.address true -}}
{{- end -}}
{{- end -}}
{{- end -}}
