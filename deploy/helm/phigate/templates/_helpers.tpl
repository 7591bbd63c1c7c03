{{/* The release-scoped name of every object. */}}
{{- define "phigate.fullname" -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "phigate.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "phigate.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* phigate.yaml: the site's config values, then what the chart must own. */}}
{{- define "phigate.config" -}}
{{- $owned := dict
  "listen" (printf "0.0.0.0:%d" (int .Values.ports.smtp))
  "next_hop" .Values.nextHop
  "policy_file" (ternary "/etc/phigate/policy/policy.yaml" "policies/default.yaml" (ne .Values.policy.content ""))
  "access" (dict "networks" (concat (list "127.0.0.0/8") .Values.relayNetworks))
  "audit" (dict "url" .Values.database.url "key_file" "/var/lib/phigate/keys/audit.key" "anchor_file" (ternary "/var/lib/phigate/anchors/{node}.anchor" "/var/lib/phigate/state/audit.anchor" (ne .Values.audit.anchors.existingClaim "")))
  "quarantine" (dict "url" .Values.database.url "master_key_file" "/var/lib/phigate/keys/quarantine.key")
  "patients" (dict "url" .Values.database.url "key_file" "/var/lib/phigate/keys/roster.key")
  "portal" (dict "store_url" .Values.database.url "master_key_file" "/var/lib/phigate/keys/portal.key" "listen" (printf "0.0.0.0:%d" (int .Values.portal.port)))
  "smime" (dict "store_dir" "/var/lib/phigate/state/certs")
  "pgp" (dict "home" "/var/lib/phigate/state/gnupg")
  "metrics" (dict "listen" (printf "0.0.0.0:%d" (int .Values.ports.metrics)))
-}}
{{- mustMergeOverwrite (deepCopy .Values.config) $owned | toYaml -}}
{{- end -}}

{{/* The gateway pods' selector: the portal pods share the name and instance labels. */}}
{{- define "phigate.gatewaySelectorLabels" -}}
{{ include "phigate.selectorLabels" . }}
app.kubernetes.io/component: gateway
{{- end -}}
