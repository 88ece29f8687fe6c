{{- define "dataclauses.fullname" -}}
{{- printf "%s-gateway" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "dataclauses.labels" -}}
app.kubernetes.io/name: dataclauses-gateway
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "dataclauses.selector" -}}
app.kubernetes.io/name: dataclauses-gateway
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "dataclauses.policiesConfigMap" -}}
{{- if .Values.existingPoliciesConfigMap -}}
{{- .Values.existingPoliciesConfigMap -}}
{{- else -}}
{{- printf "%s-policies" (include "dataclauses.fullname" .) -}}
{{- end -}}
{{- end -}}

{{- define "dataclauses.databaseSecret" -}}
{{- if .Values.database.existingSecret -}}
{{- .Values.database.existingSecret -}}
{{- else -}}
{{- printf "%s-database" (include "dataclauses.fullname" .) -}}
{{- end -}}
{{- end -}}
