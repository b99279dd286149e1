{{/* The chart name, or nameOverride. */}}
{{- define "alter-vault.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The prefix of every object name: fullnameOverride, the release name when it contains the chart name, or <release>-<chart>. */}}
{{- define "alter-vault.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* <fullname>-<suffix>, within the 63 characters of a DNS label. */}}
{{- define "alter-vault.componentName" -}}
{{- printf "%s-%s" (include "alter-vault.fullname" .ctx | trunc (int (sub 62 (len .component))) | trimSuffix "-") .component }}
{{- end }}

{{- define "alter-vault.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of every object; call with (dict "ctx" $ "component" "api-server"), component may be empty. */}}
{{- define "alter-vault.labels" -}}
helm.sh/chart: {{ include "alter-vault.chart" .ctx }}
{{ include "alter-vault.selectorLabels" . }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
app.kubernetes.io/part-of: alter-vault
{{- with .ctx.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Selector labels; call with (dict "ctx" $ "component" "api-server"). */}}
{{- define "alter-vault.selectorLabels" -}}
app.kubernetes.io/name: {{ include "alter-vault.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
{{- if .component }}
app.kubernetes.io/component: {{ .component }}
{{- end }}
{{- end }}

{{/* repository:tag, or repository@digest; call with (dict "image" .Values.x.image "ctx" $). */}}
{{- define "alter-vault.image" -}}
{{- if .image.digest }}
{{- printf "%s@%s" .image.repository .image.digest }}
{{- else }}
{{- printf "%s:%s" .image.repository (default .ctx.Chart.AppVersion .image.tag) }}
{{- end }}
{{- end }}

{{- define "alter-vault.apiServer.name" -}}
{{- include "alter-vault.componentName" (dict "ctx" . "component" "api-server") }}
{{- end }}

{{- define "alter-vault.operator.name" -}}
{{- include "alter-vault.componentName" (dict "ctx" . "component" "operator") }}
{{- end }}

{{- define "alter-vault.apiServer.serviceAccountName" -}}
{{- default (include "alter-vault.apiServer.name" .) .Values.apiServer.serviceAccount.name }}
{{- end }}

{{- define "alter-vault.operator.serviceAccountName" -}}
{{- default (include "alter-vault.operator.name" .) .Values.operator.serviceAccount.name }}
{{- end }}

{{- define "alter-vault.database.secretName" -}}
{{- default (include "alter-vault.componentName" (dict "ctx" . "component" "database")) .Values.database.existingSecret }}
{{- end }}

{{- define "alter-vault.localKey.secretName" -}}
{{- default (include "alter-vault.componentName" (dict "ctx" . "component" "local-key")) .Values.keyProvider.local.existingSecret }}
{{- end }}

{{- define "alter-vault.operator.apiKeySecretName" -}}
{{- default (include "alter-vault.componentName" (dict "ctx" . "component" "operator-api-key")) .Values.operator.apiKey.existingSecret }}
{{- end }}

{{- define "alter-vault.operator.leaseName" -}}
{{- default (include "alter-vault.operator.name" .) .Values.operator.leaderElection.leaseName }}
{{- end }}

{{- define "alter-vault.operator.vaultUrl" -}}
{{- default (printf "http://%s.%s.svc:%d" (include "alter-vault.apiServer.name" .) .Release.Namespace (int .Values.apiServer.service.port)) .Values.operator.vaultUrl }}
{{- end }}

{{/* The three kinds' plural resource names, from the CRDs the chart ships (also when crds.install is off). */}}
{{- define "alter-vault.crdPlurals" -}}
{{- $plurals := list }}
{{- range $path, $_ := .Files.Glob "files/crds/*.yaml" }}
{{- $plurals = append $plurals ($.Files.Get $path | fromYaml).spec.names.plural }}
{{- end }}
{{- toJson (sortAlpha $plurals) }}
{{- end }}

{{/* The Cerbos configuration: gRPC and HTTP on loopback only, policies from the mounted ConfigMap. */}}
{{- define "alter-vault.cerbos.config" -}}
server:
  httpListenAddr: "127.0.0.1:{{ .Values.cerbos.httpPort }}"
  grpcListenAddr: "127.0.0.1:{{ .Values.cerbos.grpcPort }}"
storage:
  driver: disk
  disk:
    directory: /policies
    # The ConfigMap changes only with a new revision, which rolls the pods (checksum/cerbos).
    watchForChanges: false
audit:
  enabled: false
telemetry:
  disabled: true
{{- end }}

{{/* The policies of policies/ (the chart's byte-for-byte copy in files/policies, tests left out), keyed <dir>.<file>. */}}
{{- define "alter-vault.cerbos.policies" -}}
{{- $policies := dict }}
{{- range $path, $content := .Files.Glob "files/policies/**.yaml" }}
{{- $_ := set $policies ($path | trimPrefix "files/policies/" | replace "/" ".") (toString $content) }}
{{- end }}
{{- toYaml $policies }}
{{- end }}

{{/* The Cerbos container, a native sidecar or an ordinary one; call with (dict "ctx" $ "probe" <exec probe>). */}}
{{- define "alter-vault.apiServer.cerbosContainer" -}}
- name: cerbos
  image: {{ include "alter-vault.image" (dict "image" .ctx.Values.cerbos.image "ctx" .ctx) }}
  imagePullPolicy: {{ .ctx.Values.cerbos.image.pullPolicy }}
  {{- if .ctx.Values.cerbos.nativeSidecar }}
  # A native sidecar: started (and healthy) before the api-server, stopped after it.
  restartPolicy: Always
  {{- end }}
  args:
    - server
    - --config=/config/config.yaml
    - --log-level={{ .ctx.Values.cerbos.logLevel }}
  securityContext:
    {{- toYaml .ctx.Values.containerSecurityContext | nindent 4 }}
  {{- if .ctx.Values.cerbos.nativeSidecar }}
  startupProbe:
    {{- toYaml (merge (dict "periodSeconds" 1 "failureThreshold" 60) .probe) | nindent 4 }}
  {{- else }}
  readinessProbe:
    {{- toYaml .probe | nindent 4 }}
  {{- end }}
  livenessProbe:
    {{- toYaml .probe | nindent 4 }}
  resources:
    {{- toYaml .ctx.Values.cerbos.resources | nindent 4 }}
  volumeMounts:
    - name: cerbos-config
      mountPath: /config
      readOnly: true
    - name: cerbos-policies
      mountPath: /policies
      readOnly: true
    - name: cerbos-tmp
      mountPath: /tmp
{{- end }}
