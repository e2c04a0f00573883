// kube-validate decodes every object of a rendered manifest (helm template's
// output: YAML documents separated by ---) strictly against the Kubernetes API
// types of k8s.io/api, the way an API server with field validation "Strict"
// would: an unknown or duplicated field, a misspelt kind or apiVersion, a
// value of the wrong type or an unparsable quantity is an error. It then runs a
// few checks the API server would also refuse (names, labels, port names, env
// names, volume mounts, requests above limits) and that decoding cannot see.
//
//	kube-validate [--json] [FILE...]     (no FILE, or "-": standard input)
//
// Exit status 0 when every object passed, 1 when any did not, 2 on bad usage.
// With --json it prints one report: {"objects":[{"apiVersion","kind","name",
// "problems":[...]}]}; otherwise a line per object.
//
// Kinds come from client-go's scheme (every built-in API group). The one
// custom resource the recmesh chart renders, the Prometheus Operator's
// monitoring.coreos.com/v1 ServiceMonitor, is decoded into the subset of its
// type declared below (the fields the chart may set), since importing the
// operator's module would pull in its whole dependency tree. Any other custom
// resource is an error.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	kjson "k8s.io/apimachinery/pkg/runtime/serializer/json"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes/scheme"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// ObjectReport is what --json prints for each object.
type ObjectReport struct {
	Source     string   `json:"source"`
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Name       string   `json:"name"`
	Problems   []string `json:"problems"`
}

func main() {
	asJSON := false
	var files []string
	for _, arg := range os.Args[1:] {
		switch {
		case arg == "--json":
			asJSON = true
		case arg == "-h" || arg == "--help":
			fmt.Fprintln(os.Stderr, "usage: kube-validate [--json] [FILE...]  (no FILE or -: standard input)")
			os.Exit(2)
		case strings.HasPrefix(arg, "--"):
			fmt.Fprintf(os.Stderr, "kube-validate: unknown flag %s\n", arg)
			os.Exit(2)
		default:
			files = append(files, arg)
		}
	}
	if len(files) == 0 {
		files = []string{"-"}
	}

	var reports []ObjectReport
	for _, file := range files {
		var in io.Reader = os.Stdin
		if file != "-" {
			f, err := os.Open(file)
			if err != nil {
				fmt.Fprintf(os.Stderr, "kube-validate: %v\n", err)
				os.Exit(2)
			}
			defer f.Close()
			in = f
		}
		got, err := validateStream(file, in)
		if err != nil {
			fmt.Fprintf(os.Stderr, "kube-validate: %s: %v\n", file, err)
			os.Exit(2)
		}
		reports = append(reports, got...)
	}

	failed := 0
	for _, r := range reports {
		if len(r.Problems) > 0 {
			failed++
		}
	}
	if asJSON {
		out, _ := json.MarshalIndent(struct {
			Objects []ObjectReport `json:"objects"`
		}{reports}, "", "  ")
		fmt.Println(string(out))
	} else {
		for _, r := range reports {
			status := "ok"
			if len(r.Problems) > 0 {
				status = "FAIL"
			}
			fmt.Printf("%-4s %s %s %s\n", status, r.APIVersion, r.Kind, r.Name)
			for _, p := range r.Problems {
				fmt.Printf("       - %s\n", p)
			}
		}
		fmt.Printf("%d objects, %d with problems\n", len(reports), failed)
	}
	if failed > 0 {
		os.Exit(1)
	}
}

// validateStream splits a multi-document YAML stream and checks each non-empty document.
func validateStream(source string, in io.Reader) ([]ObjectReport, error) {
	reader := utilyaml.NewYAMLReader(bufio.NewReader(in))
	var reports []ObjectReport
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return reports, nil
		}
		if err != nil {
			return nil, err
		}
		if isEmptyDocument(doc) {
			continue
		}
		reports = append(reports, validateDocument(source, doc))
	}
}

// isEmptyDocument: only comments and blank lines (helm renders those for disabled templates).
func isEmptyDocument(doc []byte) bool {
	for _, line := range strings.Split(string(doc), "\n") {
		t := strings.TrimSpace(line)
		if t != "" && t != "---" && !strings.HasPrefix(t, "#") {
			return false
		}
	}
	return true
}

// strictCodec decodes YAML like the API server with strict field validation:
// case-sensitive field names, unknown and duplicate fields reported.
var strictCodec = kjson.NewSerializerWithOptions(kjson.DefaultMetaFactory, scheme.Scheme, scheme.Scheme, kjson.SerializerOptions{Yaml: true, Strict: true})

func validateDocument(source string, doc []byte) ObjectReport {
	var meta struct {
		metav1.TypeMeta `json:",inline"`
		Metadata        struct {
			Name string `json:"name"`
		} `json:"metadata"`
	}
	report := ObjectReport{Source: source, Problems: []string{}}
	if err := yaml.Unmarshal(doc, &meta); err != nil {
		report.Problems = append(report.Problems, fmt.Sprintf("not a YAML object: %v", err))
		return report
	}
	report.APIVersion, report.Kind, report.Name = meta.APIVersion, meta.Kind, meta.Metadata.Name
	if meta.APIVersion == "" || meta.Kind == "" {
		report.Problems = append(report.Problems, "apiVersion and kind are required")
		return report
	}
	gvk := schema.FromAPIVersionAndKind(meta.APIVersion, meta.Kind)

	if gvk == serviceMonitorGVK {
		var sm ServiceMonitor
		if err := decodeStrictInto(doc, &sm); err != nil {
			report.Problems = append(report.Problems, err.Error())
		} else {
			report.Problems = append(report.Problems, checkServiceMonitor(&sm)...)
		}
		return report
	}

	if !scheme.Scheme.Recognizes(gvk) {
		report.Problems = append(report.Problems, fmt.Sprintf("%s is not a kind of the Kubernetes API (client-go scheme) nor a known custom resource", gvk))
		return report
	}
	obj, _, err := strictCodec.Decode(doc, nil, nil)
	if err != nil {
		report.Problems = append(report.Problems, err.Error())
		if obj == nil || !runtime.IsStrictDecodingError(err) {
			return report
		}
	}
	report.Problems = append(report.Problems, checkObject(obj)...)
	return report
}

// decodeStrictInto: YAML to JSON (duplicate keys refused), then case-sensitive decoding with unknown fields refused.
func decodeStrictInto(doc []byte, into any) error {
	js, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		return err
	}
	strictErrs, err := sigsjson.UnmarshalStrict(js, into, sigsjson.DisallowUnknownFields)
	if err != nil {
		return err
	}
	if len(strictErrs) > 0 {
		msgs := make([]string, len(strictErrs))
		for i, e := range strictErrs {
			msgs[i] = e.Error()
		}
		return fmt.Errorf("strict decoding error: %s", strings.Join(msgs, ", "))
	}
	return nil
}

// ---------------------------------------------------------------- checks decoding cannot see

func checkObject(obj runtime.Object) []string {
	var problems []string
	if accessor, ok := obj.(metav1.Object); ok {
		problems = append(problems, checkMeta(accessor, obj)...)
	}
	switch o := obj.(type) {
	case *appsv1.Deployment:
		problems = append(problems, checkSelector("spec.selector", o.Spec.Selector, o.Spec.Template.Labels)...)
		problems = append(problems, checkPodSpec("spec.template.spec", &o.Spec.Template.Spec)...)
	case *appsv1.StatefulSet:
		problems = append(problems, checkSelector("spec.selector", o.Spec.Selector, o.Spec.Template.Labels)...)
		problems = append(problems, checkPodSpec("spec.template.spec", &o.Spec.Template.Spec)...)
	case *batchv1.Job:
		problems = append(problems, checkPodSpec("spec.template.spec", &o.Spec.Template.Spec)...)
	case *batchv1.CronJob:
		problems = append(problems, checkPodSpec("spec.jobTemplate.spec.template.spec", &o.Spec.JobTemplate.Spec.Template.Spec)...)
	case *corev1.Service:
		for i, p := range o.Spec.Ports {
			if p.Name != "" {
				problems = append(problems, prefixed(fmt.Sprintf("spec.ports[%d].name", i), validation.IsDNS1123Label(p.Name))...)
			}
			if p.TargetPort.Type == intstr.String {
				problems = append(problems, prefixed(fmt.Sprintf("spec.ports[%d].targetPort", i), validation.IsValidPortName(p.TargetPort.StrVal))...)
			}
		}
	case *corev1.ConfigMap:
		for k := range o.Data {
			problems = append(problems, prefixed("data key "+k, validation.IsConfigMapKey(k))...)
		}
	case *corev1.Secret:
		for k := range o.Data {
			problems = append(problems, prefixed("data key "+k, validation.IsConfigMapKey(k))...)
		}
		for k := range o.StringData {
			problems = append(problems, prefixed("stringData key "+k, validation.IsConfigMapKey(k))...)
		}
	}
	return problems
}

func checkMeta(m metav1.Object, obj runtime.Object) []string {
	var problems []string
	if m.GetName() == "" {
		problems = append(problems, "metadata.name is required")
	} else {
		// Services are DNS-1035 labels; most other kinds DNS-1123 subdomains.
		if _, isService := obj.(*corev1.Service); isService {
			problems = append(problems, prefixed("metadata.name", validation.IsDNS1035Label(m.GetName()))...)
		} else {
			problems = append(problems, prefixed("metadata.name", validation.IsDNS1123Subdomain(m.GetName()))...)
		}
		if _, isCronJob := obj.(*batchv1.CronJob); isCronJob && len(m.GetName()) > 52 {
			problems = append(problems, "metadata.name: a CronJob name must be no more than 52 characters")
		}
	}
	problems = append(problems, checkLabels("metadata.labels", m.GetLabels())...)
	for k := range m.GetAnnotations() {
		problems = append(problems, prefixed("metadata.annotations key "+k, validation.IsQualifiedName(strings.ToLower(k)))...)
	}
	return problems
}

func checkLabels(path string, labels map[string]string) []string {
	var problems []string
	for _, k := range sortedKeys(labels) {
		problems = append(problems, prefixed(path+" key "+k, validation.IsQualifiedName(k))...)
		problems = append(problems, prefixed(path+"["+k+"]", validation.IsValidLabelValue(labels[k]))...)
	}
	return problems
}

func checkSelector(path string, selector *metav1.LabelSelector, podLabels map[string]string) []string {
	if selector == nil {
		return []string{path + " is required"}
	}
	problems := checkLabels(path+".matchLabels", selector.MatchLabels)
	for k, v := range selector.MatchLabels {
		if podLabels[k] != v {
			problems = append(problems, fmt.Sprintf("%s.matchLabels[%s]=%q does not select the pod template (its label is %q)", path, k, v, podLabels[k]))
		}
	}
	return problems
}

func checkPodSpec(path string, spec *corev1.PodSpec) []string {
	var problems []string
	volumes := map[string]bool{}
	for _, v := range spec.Volumes {
		volumes[v.Name] = true
		problems = append(problems, prefixed(path+".volumes "+v.Name, validation.IsDNS1123Label(v.Name))...)
	}
	all := append(append([]corev1.Container{}, spec.InitContainers...), spec.Containers...)
	if len(spec.Containers) == 0 {
		problems = append(problems, path+".containers must not be empty")
	}
	for _, c := range all {
		cp := fmt.Sprintf("%s container %s", path, c.Name)
		problems = append(problems, prefixed(cp+" name", validation.IsDNS1123Label(c.Name))...)
		if c.Image == "" {
			problems = append(problems, cp+": image is required")
		}
		ports := map[string]bool{}
		for _, p := range c.Ports {
			if p.Name != "" {
				ports[p.Name] = true
				problems = append(problems, prefixed(cp+" port name "+p.Name, validation.IsValidPortName(p.Name))...)
			}
		}
		for _, e := range c.Env {
			problems = append(problems, prefixed(cp+" env "+e.Name, validation.IsEnvVarName(e.Name))...)
			if e.Value != "" && e.ValueFrom != nil {
				problems = append(problems, cp+" env "+e.Name+": value and valueFrom are exclusive")
			}
		}
		for _, m := range c.VolumeMounts {
			if !volumes[m.Name] {
				problems = append(problems, fmt.Sprintf("%s: volumeMount %s names no volume of the pod", cp, m.Name))
			}
		}
		for probeName, probe := range map[string]*corev1.Probe{"livenessProbe": c.LivenessProbe, "readinessProbe": c.ReadinessProbe, "startupProbe": c.StartupProbe} {
			if probe == nil {
				continue
			}
			var port *intstr.IntOrString
			if probe.HTTPGet != nil {
				port = &probe.HTTPGet.Port
			} else if probe.TCPSocket != nil {
				port = &probe.TCPSocket.Port
			}
			if port != nil && port.Type == intstr.String && !ports[port.StrVal] {
				problems = append(problems, fmt.Sprintf("%s: %s names port %q, which the container does not declare", cp, probeName, port.StrVal))
			}
		}
		for name, limit := range c.Resources.Limits {
			if request, ok := c.Resources.Requests[name]; ok && request.Cmp(limit) > 0 {
				problems = append(problems, fmt.Sprintf("%s: resources.requests.%s (%s) exceeds its limit (%s)", cp, name, request.String(), limit.String()))
			}
		}
	}
	return problems
}

// ---------------------------------------------------------------- the ServiceMonitor subset

var serviceMonitorGVK = schema.GroupVersionKind{Group: "monitoring.coreos.com", Version: "v1", Kind: "ServiceMonitor"}

// ServiceMonitor is the subset of monitoring.coreos.com/v1 ServiceMonitor
// (prometheus-operator's pkg/apis/monitoring/v1/servicemonitor_types.go) that
// the chart may set; a field outside it fails, as a typo would.
type ServiceMonitor struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              ServiceMonitorSpec `json:"spec"`
}

type ServiceMonitorSpec struct {
	JobLabel          string               `json:"jobLabel,omitempty"`
	TargetLabels      []string             `json:"targetLabels,omitempty"`
	PodTargetLabels   []string             `json:"podTargetLabels,omitempty"`
	Endpoints         []Endpoint           `json:"endpoints"`
	Selector          metav1.LabelSelector `json:"selector"`
	NamespaceSelector *NamespaceSelector   `json:"namespaceSelector,omitempty"`
	SampleLimit       *uint64              `json:"sampleLimit,omitempty"`
}

type NamespaceSelector struct {
	Any        bool     `json:"any,omitempty"`
	MatchNames []string `json:"matchNames,omitempty"`
}

type Endpoint struct {
	Port                 string          `json:"port,omitempty"`
	Path                 string          `json:"path,omitempty"`
	Scheme               string          `json:"scheme,omitempty"`
	Interval             string          `json:"interval,omitempty"`
	ScrapeTimeout        string          `json:"scrapeTimeout,omitempty"`
	HonorLabels          bool            `json:"honorLabels,omitempty"`
	RelabelConfigs       []RelabelConfig `json:"relabelings,omitempty"`
	MetricRelabelConfigs []RelabelConfig `json:"metricRelabelings,omitempty"`
}

type RelabelConfig struct {
	SourceLabels []string `json:"sourceLabels,omitempty"`
	Separator    *string  `json:"separator,omitempty"`
	TargetLabel  string   `json:"targetLabel,omitempty"`
	Regex        string   `json:"regex,omitempty"`
	Modulus      uint64   `json:"modulus,omitempty"`
	Replacement  *string  `json:"replacement,omitempty"`
	Action       string   `json:"action,omitempty"`
}

func checkServiceMonitor(sm *ServiceMonitor) []string {
	problems := checkMeta(&sm.ObjectMeta, sm)
	if len(sm.Spec.Endpoints) == 0 {
		problems = append(problems, "spec.endpoints must not be empty")
	}
	if len(sm.Spec.Selector.MatchLabels) == 0 && len(sm.Spec.Selector.MatchExpressions) == 0 {
		problems = append(problems, "spec.selector selects nothing")
	}
	problems = append(problems, checkLabels("spec.selector.matchLabels", sm.Spec.Selector.MatchLabels)...)
	for i, e := range sm.Spec.Endpoints {
		if e.Port == "" {
			problems = append(problems, fmt.Sprintf("spec.endpoints[%d].port is required (the Service port's name)", i))
		}
		for _, d := range []string{e.Interval, e.ScrapeTimeout} {
			if d != "" && !isPromDuration(d) {
				problems = append(problems, fmt.Sprintf("spec.endpoints[%d]: %q is not a Prometheus duration", i, d))
			}
		}
	}
	return problems
}

// DeepCopyObject lets a ServiceMonitor pass as a runtime.Object to checkMeta.
func (s *ServiceMonitor) DeepCopyObject() runtime.Object { c := *s; return &c }

// isPromDuration: Prometheus' duration syntax (1h30m, 15s, 500ms).
func isPromDuration(s string) bool {
	if s == "" {
		return false
	}
	rest := s
	for rest != "" {
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 0 {
			return false
		}
		rest = rest[i:]
		matched := false
		for _, unit := range []string{"ms", "y", "w", "d", "h", "m", "s"} {
			if strings.HasPrefix(rest, unit) {
				rest, matched = rest[len(unit):], true
				break
			}
		}
		if !matched {
			return false
		}
	}
	return true
}

// ---------------------------------------------------------------- helpers

func prefixed(path string, errs []string) []string {
	out := make([]string, len(errs))
	for i, e := range errs {
		out[i] = path + ": " + e
	}
	return out
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
