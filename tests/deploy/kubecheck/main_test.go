package main

import (
	"strings"
	"testing"
)

// A small valid set of objects; each case below breaks one thing in it.
const base = `apiVersion: v1
kind: ConfigMap
metadata:
  name: app
data:
  app.yaml: "listen: {}"
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
  labels: {app: demo}
spec:
  replicas: 2
  selector:
    matchLabels: {app: demo}
  template:
    metadata:
      labels: {app: demo}
    spec:
      containers:
        - name: app
          image: demo:1
          args: ["--config", "/etc/app/app.yaml"]
          ports:
            - {name: http, containerPort: 8080}
            - {name: metrics, containerPort: 9100}
          env:
            - name: KEY
              valueFrom:
                secretKeyRef: {name: keys, key: key}
          readinessProbe:
            httpGet: {path: /ready, port: http}
          volumeMounts:
            - {name: config, mountPath: /etc/app}
      volumes:
        - name: config
          configMap: {name: app}
---
apiVersion: v1
kind: Service
metadata:
  name: app
  labels: {app: demo, job: demo}
spec:
  selector: {app: demo}
  ports:
    - {name: http, port: 80, targetPort: http}
    - {name: metrics, port: 9100, targetPort: metrics}
`

func check(t *testing.T, manifests string) []string {
	t.Helper()
	return run(map[string][]byte{"in": []byte(manifests)}, []string{"in"}, map[string]bool{"keys": true})
}

func TestValidSetPasses(t *testing.T) {
	if errs := check(t, base); len(errs) != 0 {
		t.Fatalf("unexpected errors: %v", errs)
	}
}

func TestEachDefectIsReported(t *testing.T) {
	cases := []struct {
		name, from, to, want string
	}{
		{"unknown field", "  replicas: 2", "  replicas: 2\n  replica: 3", `unknown field "spec.replica"`},
		{"wrong type", "  replicas: 2", `  replicas: "2"`, "decode"},
		{"wrong case", "containerPort: 8080}", "containerport: 8080}", "containerport"},
		{"duplicate key", "  replicas: 2", "  replicas: 2\n  replicas: 3", "YAML"},
		{"unknown kind", "kind: ConfigMap", "kind: ConfigMapp", "unknown apiVersion/kind"},
		{"bad label value", "labels: {app: demo, job: demo}", "labels: {app: demo, job: demo, x: \"a b\"}", "value"},
		{"selector does not match template", "    matchLabels: {app: demo}", "    matchLabels: {app: other}", "does not match the template labels"},
		{"service selects nothing", "  selector: {app: demo}\n  ports:", "  selector: {app: nothing}\n  ports:", "matches no rendered pod template"},
		{"targetPort is no container port", "targetPort: metrics}", "targetPort: metric}", `targetPort "metric"`},
		{"probe names an unknown port", "httpGet: {path: /ready, port: http}", "httpGet: {path: /ready, port: web}", `names port "web"`},
		{"probe without a handler", "            httpGet: {path: /ready, port: http}", "            periodSeconds: 5", "0 handlers"},
		{"secret neither rendered nor external", "secretKeyRef: {name: keys, key: key}", "secretKeyRef: {name: other, key: key}", `Secret "other"`},
		{"config file missing from the ConfigMap", `"/etc/app/app.yaml"`, `"/etc/app/other.yaml"`, `no key "other.yaml"`},
		{"ConfigMap not rendered", "configMap: {name: app}", "configMap: {name: nope}", `ConfigMap "nope" is not rendered`},
		{"mount without a volume", "{name: config, mountPath: /etc/app}", "{name: conf, mountPath: /etc/app}", `volume "conf"`},
		{"request above limit", "          image: demo:1", "          image: demo:1\n          resources: {requests: {memory: 2Gi}, limits: {memory: 1Gi}}", "above limit"},
		{"bad quantity", "          image: demo:1", "          image: demo:1\n          resources: {requests: {memory: 2 gigs}}", "decode"},
		{"port out of range", "containerPort: 9100}", "containerPort: 91000}", "out of range"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(base, tc.from) {
				t.Fatalf("case does not apply: %q not in the base manifests", tc.from)
			}
			errs := check(t, strings.Replace(base, tc.from, tc.to, 1))
			if len(errs) == 0 {
				t.Fatalf("no error reported")
			}
			joined := strings.Join(errs, "\n")
			if !strings.Contains(joined, tc.want) {
				t.Fatalf("want an error containing %q, got:\n%s", tc.want, joined)
			}
		})
	}
}

func TestCrossObjectDefects(t *testing.T) {
	cases := []struct {
		name, extra, want string
	}{
		{"PDB with both bounds", `apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: app}
spec:
  minAvailable: 1
  maxUnavailable: 1
  selector: {matchLabels: {app: demo}}`, "exactly one of minAvailable and maxUnavailable"},
		{"PDB selecting nothing", `apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: app}
spec:
  maxUnavailable: 1
  selector: {matchLabels: {app: none}}`, "matches 0 workloads"},
		{"HPA on a missing Deployment", `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: app}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: gone}
  minReplicas: 1
  maxReplicas: 3`, "no rendered Deployment"},
		{"HPA min above max", `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: app}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: app}
  minReplicas: 4
  maxReplicas: 3`, "minReplicas 4 > maxReplicas 3"},
		{"ServiceMonitor on a port the Service lacks", `apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: app}
spec:
  selector: {matchLabels: {app: demo}}
  endpoints: [{port: prom}]`, `endpoint port "prom"`},
		{"ServiceMonitor jobLabel the Service lacks", `apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: app}
spec:
  jobLabel: team
  selector: {matchLabels: {app: demo}}
  endpoints: [{port: metrics}]`, `jobLabel "team"`},
		{"PrometheusRule with an unknown field", `apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {name: app}
spec:
  groups:
    - name: g
      rules:
        - alert: A
          expr: up == 0
          severity: page`, `unknown field`},
		{"two objects with one name", `apiVersion: v1
kind: ConfigMap
metadata: {name: app}`, "same kind and name"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			errs := check(t, base+"---\n"+tc.extra+"\n")
			joined := strings.Join(errs, "\n")
			if !strings.Contains(joined, tc.want) {
				t.Fatalf("want an error containing %q, got:\n%s", tc.want, joined)
			}
		})
	}
	// The valid ServiceMonitor and PrometheusRule pass.
	ok := base + `---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: app}
spec:
  jobLabel: job
  selector: {matchLabels: {app: demo}}
  endpoints: [{port: metrics, interval: 15s}]
---
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {name: app}
spec:
  groups:
    - name: g
      rules:
        - alert: A
          expr: up == 0
          for: 5m
          labels: {severity: page}
`
	if errs := check(t, ok); len(errs) != 0 {
		t.Fatalf("unexpected errors: %v", errs)
	}
}
