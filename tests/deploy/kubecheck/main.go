// kubecheck: strict offline validation of rendered Kubernetes manifests.
//
// Reads multi-document YAML (files given as arguments, or stdin) as `helm
// template` prints it and, for every object:
//
//   - decodes it into the Kubernetes API type of its apiVersion/kind with the
//     API server's own strict decoder (sigs.k8s.io/json.UnmarshalStrict:
//     unknown fields, duplicate fields and wrongly-cased field names are
//     errors; YAML duplicate keys are rejected first). A kind it does not
//     know is an error, so nothing passes unchecked;
//   - checks names, labels and selectors with apimachinery's validators;
//   - checks what the types cannot: required fields (containers, images,
//     selectors), probes with exactly one handler, ports in range;
//   - checks references between the rendered objects: Deployment and PDB
//     selectors match the pod labels, every Service selects some pod and
//     its targetPorts name container ports, ServiceMonitor endpoints name a
//     Service port, HPA targets a rendered Deployment, ConfigMaps and PVCs
//     mounted by pods are rendered (Secrets may be external: listed with
//     -external-secret NAME, others must be rendered).
//
// Prints one line per object and exits 1 on the first run with any error.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

type object struct {
	source string // "file#index"
	gvk    string // apiVersion/kind
	name   string
	value  any // pointer to the typed object
}

// newTyped returns an empty typed object for apiVersion/kind, or nil.
func newTyped(gvk string) any {
	switch gvk {
	case "v1/ConfigMap":
		return &corev1.ConfigMap{}
	case "v1/Secret":
		return &corev1.Secret{}
	case "v1/Service":
		return &corev1.Service{}
	case "v1/ServiceAccount":
		return &corev1.ServiceAccount{}
	case "v1/PersistentVolumeClaim":
		return &corev1.PersistentVolumeClaim{}
	case "v1/Pod":
		return &corev1.Pod{}
	case "apps/v1/Deployment":
		return &appsv1.Deployment{}
	case "apps/v1/StatefulSet":
		return &appsv1.StatefulSet{}
	case "policy/v1/PodDisruptionBudget":
		return &policyv1.PodDisruptionBudget{}
	case "autoscaling/v2/HorizontalPodAutoscaler":
		return &autoscalingv2.HorizontalPodAutoscaler{}
	case "rbac.authorization.k8s.io/v1/Role":
		return &rbacv1.Role{}
	case "rbac.authorization.k8s.io/v1/RoleBinding":
		return &rbacv1.RoleBinding{}
	case "monitoring.coreos.com/v1/ServiceMonitor":
		return &monitoringv1.ServiceMonitor{}
	case "monitoring.coreos.com/v1/PrometheusRule":
		return &monitoringv1.PrometheusRule{}
	}
	return nil
}

type checker struct {
	errs            []string
	externalSecrets map[string]bool
}

func (c *checker) fail(o *object, format string, args ...any) {
	c.errs = append(c.errs, fmt.Sprintf("%s %s/%s: %s", o.source, o.gvk, o.name, fmt.Sprintf(format, args...)))
}

// splitDocuments splits a YAML stream on lines that are exactly "---".
func splitDocuments(data []byte) [][]byte {
	var docs [][]byte
	var cur bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1024*1024), 64*1024*1024)
	for sc.Scan() {
		line := sc.Text()
		if strings.TrimRight(line, " \t") == "---" {
			docs = append(docs, append([]byte(nil), cur.Bytes()...))
			cur.Reset()
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
	}
	docs = append(docs, cur.Bytes())
	return docs
}

func isBlank(doc []byte) bool {
	for _, line := range strings.Split(string(doc), "\n") {
		t := strings.TrimSpace(line)
		if t != "" && !strings.HasPrefix(t, "#") {
			return false
		}
	}
	return true
}

func (c *checker) decode(source string, doc []byte) *object {
	o := &object{source: source}
	js, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		c.fail(o, "YAML: %v", err)
		return nil
	}
	var head struct {
		APIVersion string            `json:"apiVersion"`
		Kind       string            `json:"kind"`
		Metadata   metav1.ObjectMeta `json:"metadata"`
	}
	if err := kjson.UnmarshalCaseSensitivePreserveInts(js, &head); err != nil {
		c.fail(o, "header: %v", err)
		return nil
	}
	o.gvk = head.APIVersion + "/" + head.Kind
	o.name = head.Metadata.Name
	typed := newTyped(o.gvk)
	if typed == nil {
		c.fail(o, "unknown apiVersion/kind %q (add its type to kubecheck)", o.gvk)
		return nil
	}
	strictErrs, err := kjson.UnmarshalStrict(js, typed)
	if err != nil {
		c.fail(o, "decode: %v", err)
		return nil
	}
	for _, e := range strictErrs {
		c.fail(o, "strict decode: %v", e)
	}
	o.value = typed
	return o
}

func (c *checker) checkMeta(o *object, m *metav1.ObjectMeta, namespaced bool) {
	if m.Name == "" {
		c.fail(o, "metadata.name is empty")
	}
	for _, msg := range validation.IsDNS1123Subdomain(m.Name) {
		c.fail(o, "metadata.name %q: %s", m.Name, msg)
	}
	if strings.HasSuffix(o.gvk, "/Service") {
		for _, msg := range validation.IsDNS1035Label(m.Name) {
			c.fail(o, "Service name %q: %s", m.Name, msg)
		}
	}
	c.checkLabels(o, "metadata.labels", m.Labels)
	for k := range m.Annotations {
		for _, msg := range validation.IsQualifiedName(k) {
			c.fail(o, "annotation key %q: %s", k, msg)
		}
	}
}

func (c *checker) checkLabels(o *object, where string, l map[string]string) {
	for k, v := range l {
		for _, msg := range validation.IsQualifiedName(k) {
			c.fail(o, "%s key %q: %s", where, k, msg)
		}
		for _, msg := range validation.IsValidLabelValue(v) {
			c.fail(o, "%s[%q] value %q: %s", where, k, v, msg)
		}
	}
}

func (c *checker) checkProbe(o *object, where string, p *corev1.Probe, ports map[string]int32) {
	if p == nil {
		return
	}
	handlers := 0
	if p.Exec != nil {
		handlers++
		if len(p.Exec.Command) == 0 {
			c.fail(o, "%s: exec with no command", where)
		}
	}
	if p.HTTPGet != nil {
		handlers++
		c.checkPortRef(o, where+".httpGet.port", p.HTTPGet.Port, ports)
		if !strings.HasPrefix(p.HTTPGet.Path, "/") {
			c.fail(o, "%s: httpGet.path %q does not start with /", where, p.HTTPGet.Path)
		}
	}
	if p.TCPSocket != nil {
		handlers++
		c.checkPortRef(o, where+".tcpSocket.port", p.TCPSocket.Port, ports)
	}
	if p.GRPC != nil {
		handlers++
	}
	if handlers != 1 {
		c.fail(o, "%s: %d handlers, want exactly one", where, handlers)
	}
	if p.PeriodSeconds < 0 || p.TimeoutSeconds < 0 || p.FailureThreshold < 0 {
		c.fail(o, "%s: negative timing", where)
	}
}

func (c *checker) checkPortRef(o *object, where string, p intstr.IntOrString, ports map[string]int32) {
	if p.Type == intstr.String {
		if _, ok := ports[p.StrVal]; !ok {
			c.fail(o, "%s: names port %q, which no container declares", where, p.StrVal)
		}
		return
	}
	if p.IntVal < 1 || p.IntVal > 65535 {
		c.fail(o, "%s: port %d out of range", where, p.IntVal)
	}
}

type podInfo struct {
	owner    *object
	labels   map[string]string
	ports    map[string]int32 // container port name -> number
	numbers  map[int32]bool
	spec     *corev1.PodSpec
	selector *metav1.LabelSelector
}

// checkPodSpec checks a pod template; claimTemplates are the names of a
// StatefulSet's volumeClaimTemplates, which containers may mount too.
func (c *checker) checkPodSpec(o *object, spec *corev1.PodSpec, claimTemplates ...string) map[string]int32 {
	ports := map[string]int32{}
	if len(spec.Containers) == 0 {
		c.fail(o, "pod template has no containers")
	}
	all := append(append([]corev1.Container{}, spec.InitContainers...), spec.Containers...)
	names := map[string]bool{}
	for _, ct := range all {
		if names[ct.Name] {
			c.fail(o, "container name %q twice", ct.Name)
		}
		names[ct.Name] = true
		for _, msg := range validation.IsDNS1123Label(ct.Name) {
			c.fail(o, "container name %q: %s", ct.Name, msg)
		}
		if ct.Image == "" {
			c.fail(o, "container %q has no image", ct.Name)
		}
		for _, p := range ct.Ports {
			if p.ContainerPort < 1 || p.ContainerPort > 65535 {
				c.fail(o, "container %q port %d out of range", ct.Name, p.ContainerPort)
			}
			if p.Name != "" {
				for _, msg := range validation.IsValidPortName(p.Name) {
					c.fail(o, "container %q port name %q: %s", ct.Name, p.Name, msg)
				}
				if _, dup := ports[p.Name]; dup {
					c.fail(o, "port name %q twice", p.Name)
				}
				ports[p.Name] = p.ContainerPort
			}
		}
		for _, e := range ct.Env {
			for _, msg := range validation.IsEnvVarName(e.Name) {
				c.fail(o, "container %q env %q: %s", ct.Name, e.Name, msg)
			}
			if e.Value != "" && e.ValueFrom != nil {
				c.fail(o, "container %q env %q: both value and valueFrom", ct.Name, e.Name)
			}
		}
		mounts := map[string]bool{}
		for _, m := range ct.VolumeMounts {
			mounts[m.Name] = true
			if !strings.HasPrefix(m.MountPath, "/") {
				c.fail(o, "container %q mount %q: path %q not absolute", ct.Name, m.Name, m.MountPath)
			}
		}
		for m := range mounts {
			found := false
			for _, v := range spec.Volumes {
				found = found || v.Name == m
			}
			for _, t := range claimTemplates {
				found = found || t == m
			}
			if !found {
				c.fail(o, "container %q mounts volume %q, which the pod does not declare", ct.Name, m)
			}
		}
	}
	if sc := spec.SecurityContext; sc != nil && sc.RunAsNonRoot != nil && *sc.RunAsNonRoot && sc.RunAsUser != nil && *sc.RunAsUser == 0 {
		c.fail(o, "pod securityContext: runAsNonRoot with runAsUser 0")
	}
	for _, ct := range spec.Containers {
		if sc := ct.SecurityContext; sc != nil && sc.RunAsNonRoot != nil && *sc.RunAsNonRoot && sc.RunAsUser != nil && *sc.RunAsUser == 0 {
			c.fail(o, "container %q securityContext: runAsNonRoot with runAsUser 0", ct.Name)
		}
		c.checkProbe(o, "container "+ct.Name+" livenessProbe", ct.LivenessProbe, ports)
		c.checkProbe(o, "container "+ct.Name+" readinessProbe", ct.ReadinessProbe, ports)
		c.checkProbe(o, "container "+ct.Name+" startupProbe", ct.StartupProbe, ports)
		for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
			req, hasReq := ct.Resources.Requests[r]
			lim, hasLim := ct.Resources.Limits[r]
			if hasReq && hasLim && req.Cmp(lim) > 0 {
				c.fail(o, "container %q: %s request %s above limit %s", ct.Name, r, req.String(), lim.String())
			}
		}
	}
	return ports
}

func selectorOf(o *object, c *checker, sel *metav1.LabelSelector) labels.Selector {
	if sel == nil {
		c.fail(o, "no selector")
		return nil
	}
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		c.fail(o, "selector: %v", err)
		return nil
	}
	if s.Empty() {
		c.fail(o, "empty selector selects everything")
	}
	return s
}

func run(inputs map[string][]byte, order []string, external map[string]bool) []string {
	c := &checker{externalSecrets: external}
	var objs []*object
	for _, name := range order {
		for i, doc := range splitDocuments(inputs[name]) {
			if isBlank(doc) {
				continue
			}
			if o := c.decode(fmt.Sprintf("%s#%d", name, i), doc); o != nil {
				objs = append(objs, o)
			}
		}
	}
	if len(objs) == 0 {
		c.errs = append(c.errs, "no objects")
		return c.errs
	}

	serviceNames := map[string]bool{}
	for _, o := range objs {
		if svc, ok := o.value.(*corev1.Service); ok {
			serviceNames[svc.Name] = true
		}
	}
	seen := map[string]*object{}
	var pods []podInfo
	configMaps := map[string]*corev1.ConfigMap{}
	secrets, pvcs, deployments := map[string]bool{}, map[string]bool{}, map[string]bool{}
	var services []*object
	for _, o := range objs {
		key := o.gvk + "/" + o.name
		if prev, dup := seen[key]; dup {
			c.fail(o, "same kind and name as %s", prev.source)
		}
		seen[key] = o
		switch v := o.value.(type) {
		case *corev1.ConfigMap:
			c.checkMeta(o, &v.ObjectMeta, true)
			configMaps[v.Name] = v
			for k := range v.Data {
				for _, msg := range validation.IsConfigMapKey(k) {
					c.fail(o, "data key %q: %s", k, msg)
				}
			}
		case *corev1.Secret:
			c.checkMeta(o, &v.ObjectMeta, true)
			secrets[v.Name] = true
		case *corev1.ServiceAccount:
			c.checkMeta(o, &v.ObjectMeta, true)
		case *corev1.PersistentVolumeClaim:
			c.checkMeta(o, &v.ObjectMeta, true)
			pvcs[v.Name] = true
			if len(v.Spec.AccessModes) == 0 {
				c.fail(o, "no accessModes")
			}
			if _, ok := v.Spec.Resources.Requests[corev1.ResourceStorage]; !ok {
				c.fail(o, "no storage request")
			}
		case *corev1.Service:
			c.checkMeta(o, &v.ObjectMeta, true)
			services = append(services, o)
			if len(v.Spec.Ports) == 0 {
				c.fail(o, "no ports")
			}
			for _, p := range v.Spec.Ports {
				if p.Port < 1 || p.Port > 65535 {
					c.fail(o, "port %d out of range", p.Port)
				}
				if len(v.Spec.Ports) > 1 && p.Name == "" {
					c.fail(o, "several ports and one without a name")
				}
			}
			c.checkLabels(o, "spec.selector", v.Spec.Selector)
		case *appsv1.Deployment:
			c.checkMeta(o, &v.ObjectMeta, true)
			deployments[v.Name] = true
			c.checkLabels(o, "template labels", v.Spec.Template.Labels)
			ports := c.checkPodSpec(o, &v.Spec.Template.Spec)
			if s := selectorOf(o, c, v.Spec.Selector); s != nil && !s.Matches(labels.Set(v.Spec.Template.Labels)) {
				c.fail(o, "selector %s does not match the template labels %v", s, v.Spec.Template.Labels)
			}
			pods = append(pods, podInfo{o, v.Spec.Template.Labels, ports, nil, &v.Spec.Template.Spec, v.Spec.Selector})
			if v.Spec.Strategy.Type == appsv1.RecreateDeploymentStrategyType && v.Spec.Strategy.RollingUpdate != nil {
				c.fail(o, "strategy Recreate with rollingUpdate parameters")
			}
		case *appsv1.StatefulSet:
			c.checkMeta(o, &v.ObjectMeta, true)
			c.checkLabels(o, "template labels", v.Spec.Template.Labels)
			var claims []string
			for _, t := range v.Spec.VolumeClaimTemplates {
				claims = append(claims, t.Name)
				pvcs[t.Name] = true
				if len(t.Spec.AccessModes) == 0 {
					c.fail(o, "volumeClaimTemplate %q: no accessModes", t.Name)
				}
				if _, ok := t.Spec.Resources.Requests[corev1.ResourceStorage]; !ok {
					c.fail(o, "volumeClaimTemplate %q: no storage request", t.Name)
				}
				for _, vol := range v.Spec.Template.Spec.Volumes {
					if vol.Name == t.Name {
						c.fail(o, "volume %q is both a pod volume and a volumeClaimTemplate", t.Name)
					}
				}
			}
			ports := c.checkPodSpec(o, &v.Spec.Template.Spec, claims...)
			if s := selectorOf(o, c, v.Spec.Selector); s != nil && !s.Matches(labels.Set(v.Spec.Template.Labels)) {
				c.fail(o, "selector %s does not match the template labels %v", s, v.Spec.Template.Labels)
			}
			if v.Spec.ServiceName != "" && !serviceNames[v.Spec.ServiceName] {
				c.fail(o, "serviceName %q is no rendered Service", v.Spec.ServiceName)
			}
			pods = append(pods, podInfo{o, v.Spec.Template.Labels, ports, nil, &v.Spec.Template.Spec, v.Spec.Selector})
		case *policyv1.PodDisruptionBudget:
			c.checkMeta(o, &v.ObjectMeta, true)
			if (v.Spec.MinAvailable == nil) == (v.Spec.MaxUnavailable == nil) {
				c.fail(o, "exactly one of minAvailable and maxUnavailable must be set")
			}
		case *autoscalingv2.HorizontalPodAutoscaler:
			c.checkMeta(o, &v.ObjectMeta, true)
			if v.Spec.MinReplicas != nil && *v.Spec.MinReplicas > v.Spec.MaxReplicas {
				c.fail(o, "minReplicas %d > maxReplicas %d", *v.Spec.MinReplicas, v.Spec.MaxReplicas)
			}
			if v.Spec.MaxReplicas < 1 {
				c.fail(o, "maxReplicas < 1")
			}
		case *rbacv1.Role:
			c.checkMeta(o, &v.ObjectMeta, true)
		case *rbacv1.RoleBinding:
			c.checkMeta(o, &v.ObjectMeta, true)
		case *monitoringv1.ServiceMonitor:
			c.checkMeta(o, &v.ObjectMeta, true)
			if len(v.Spec.Endpoints) == 0 {
				c.fail(o, "no endpoints")
			}
		case *monitoringv1.PrometheusRule:
			c.checkMeta(o, &v.ObjectMeta, true)
			if len(v.Spec.Groups) == 0 {
				c.fail(o, "no rule groups")
			}
			for _, g := range v.Spec.Groups {
				for _, r := range g.Rules {
					if (r.Alert == "") == (r.Record == "") {
						c.fail(o, "group %s: a rule needs exactly one of alert and record", g.Name)
					}
					if r.Expr.String() == "" {
						c.fail(o, "group %s rule %s%s: empty expr", g.Name, r.Alert, r.Record)
					}
				}
			}
		default:
			c.fail(o, "no checks for %T", v)
		}
	}

	// Cross-object references.
	for _, p := range pods {
		for _, vol := range p.spec.Volumes {
			switch {
			case vol.ConfigMap != nil:
				if configMaps[vol.ConfigMap.Name] == nil && (vol.ConfigMap.Optional == nil || !*vol.ConfigMap.Optional) {
					c.fail(p.owner, "volume %q: ConfigMap %q is not rendered", vol.Name, vol.ConfigMap.Name)
				}
			case vol.Secret != nil:
				if !secrets[vol.Secret.SecretName] && !external[vol.Secret.SecretName] {
					c.fail(p.owner, "volume %q: Secret %q is neither rendered nor external", vol.Name, vol.Secret.SecretName)
				}
			case vol.PersistentVolumeClaim != nil:
				if !pvcs[vol.PersistentVolumeClaim.ClaimName] {
					c.fail(p.owner, "volume %q: PVC %q is not rendered", vol.Name, vol.PersistentVolumeClaim.ClaimName)
				}
			}
		}
		for _, ct := range p.spec.Containers {
			for _, e := range ct.Env {
				if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
					n := e.ValueFrom.SecretKeyRef.Name
					if !secrets[n] && !external[n] {
						c.fail(p.owner, "env %s: Secret %q is neither rendered nor external", e.Name, n)
					}
				}
				if e.ValueFrom != nil && e.ValueFrom.ConfigMapKeyRef != nil && configMaps[e.ValueFrom.ConfigMapKeyRef.Name] == nil {
					c.fail(p.owner, "env %s: ConfigMap %q is not rendered", e.Name, e.ValueFrom.ConfigMapKeyRef.Name)
				}
			}
		}
	}
	// Paths in commands, args and exec probes that point into a mounted
	// ConfigMap must name one of its keys.
	for _, p := range pods {
		mounted := map[string]*corev1.ConfigMap{} // mount path -> ConfigMap
		for _, ct := range p.spec.Containers {
			for _, m := range ct.VolumeMounts {
				for _, vol := range p.spec.Volumes {
					if vol.Name == m.Name && vol.ConfigMap != nil && len(vol.ConfigMap.Items) == 0 && m.SubPath == "" {
						if cm := configMaps[vol.ConfigMap.Name]; cm != nil {
							mounted[strings.TrimSuffix(m.MountPath, "/")+"/"] = cm
						}
					}
				}
			}
			words := append(append([]string{}, ct.Command...), ct.Args...)
			for _, probe := range []*corev1.Probe{ct.LivenessProbe, ct.ReadinessProbe, ct.StartupProbe} {
				if probe != nil && probe.Exec != nil {
					words = append(words, probe.Exec.Command...)
				}
			}
			for _, w := range words {
				for dir, cm := range mounted {
					if !strings.HasPrefix(w, dir) {
						continue
					}
					key := strings.TrimPrefix(w, dir)
					_, inData := cm.Data[key]
					_, inBinary := cm.BinaryData[key]
					if !inData && !inBinary {
						c.fail(p.owner, "container %q uses %s, but ConfigMap %q has no key %q", ct.Name, w, cm.Name, key)
					}
				}
			}
		}
	}
	podsMatching := func(sel labels.Selector) []podInfo {
		var out []podInfo
		for _, p := range pods {
			if sel.Matches(labels.Set(p.labels)) {
				out = append(out, p)
			}
		}
		return out
	}
	servicePorts := map[string]map[string]bool{} // service name -> port names
	serviceLabels := map[string]map[string]string{}
	for _, o := range services {
		svc := o.value.(*corev1.Service)
		servicePorts[svc.Name] = map[string]bool{}
		serviceLabels[svc.Name] = svc.Labels
		for _, p := range svc.Spec.Ports {
			servicePorts[svc.Name][p.Name] = true
		}
		if len(svc.Spec.Selector) == 0 {
			c.fail(o, "no selector")
			continue
		}
		matched := podsMatching(labels.SelectorFromSet(svc.Spec.Selector))
		if len(matched) == 0 {
			c.fail(o, "selector %v matches no rendered pod template", svc.Spec.Selector)
		}
		if len(matched) > 1 {
			c.fail(o, "selector %v matches %d workloads", svc.Spec.Selector, len(matched))
		}
		for _, m := range matched {
			for _, sp := range svc.Spec.Ports {
				if sp.TargetPort.Type == intstr.String {
					if _, ok := m.ports[sp.TargetPort.StrVal]; !ok {
						c.fail(o, "port %q: targetPort %q is no container port of %s", sp.Name, sp.TargetPort.StrVal, m.owner.name)
					}
				}
			}
		}
	}
	for _, o := range objs {
		switch v := o.value.(type) {
		case *policyv1.PodDisruptionBudget:
			if s := selectorOf(o, c, v.Spec.Selector); s != nil && len(podsMatching(s)) != 1 {
				c.fail(o, "selector %s matches %d workloads, want 1", s, len(podsMatching(s)))
			}
		case *autoscalingv2.HorizontalPodAutoscaler:
			ref := v.Spec.ScaleTargetRef
			if ref.Kind != "Deployment" || ref.APIVersion != "apps/v1" || !deployments[ref.Name] {
				c.fail(o, "scaleTargetRef %s %s/%s is no rendered Deployment", ref.APIVersion, ref.Kind, ref.Name)
			}
		case *monitoringv1.ServiceMonitor:
			s := selectorOf(o, c, &v.Spec.Selector)
			if s == nil {
				continue
			}
			var hits []string
			for name, l := range serviceLabels {
				if s.Matches(labels.Set(l)) {
					hits = append(hits, name)
				}
			}
			sort.Strings(hits)
			if len(hits) == 0 {
				c.fail(o, "selector %s matches no rendered Service", s)
			}
			if v.Spec.JobLabel != "" {
				for _, h := range hits {
					if _, ok := serviceLabels[h][v.Spec.JobLabel]; !ok {
						c.fail(o, "jobLabel %q is not a label of Service %s", v.Spec.JobLabel, h)
					}
				}
			}
			for _, ep := range v.Spec.Endpoints {
				for _, h := range hits {
					if !servicePorts[h][ep.Port] {
						c.fail(o, "endpoint port %q is not a port name of Service %s", ep.Port, h)
					}
				}
			}
		}
	}
	for _, o := range objs {
		if len(c.errs) == 0 {
			fmt.Printf("ok %s/%s\n", o.gvk, o.name)
		}
	}
	return c.errs
}

type listFlag map[string]bool

func (l listFlag) String() string     { return strings.Join(keys(l), ",") }
func (l listFlag) Set(v string) error { l[v] = true; return nil }
func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func main() {
	external := listFlag{}
	flag.Var(external, "external-secret", "a Secret the manifests may reference without rendering it (repeatable)")
	flag.Parse()
	inputs := map[string][]byte{}
	var order []string
	if flag.NArg() == 0 {
		data, err := io.ReadAll(os.Stdin)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		inputs["stdin"] = data
		order = append(order, "stdin")
	}
	for _, name := range flag.Args() {
		data, err := os.ReadFile(name)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		inputs[name] = data
		order = append(order, name)
	}
	errs := run(inputs, order, external)
	if len(errs) > 0 {
		for _, e := range errs {
			fmt.Fprintln(os.Stderr, "error:", e)
		}
		fmt.Fprintf(os.Stderr, "%d error(s)\n", len(errs))
		os.Exit(1)
	}
}
