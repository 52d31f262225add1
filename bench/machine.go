package bench

import (
	"bufio"
	"os"
	"runtime"
	"strconv"
	"strings"
)

// Memory is the resident memory of this process. Every node of the run
// lives in it (one process), together with the pre-encoded load
// (LoadBytes) that the streets write from.
type Memory struct {
	RSSBytes     int64 `json:"rss_bytes"`      // VmRSS when read
	PeakRSSBytes int64 `json:"peak_rss_bytes"` // VmHWM: the process's peak so far
	// AnonBytes and FileBytes split RSSBytes: the Go heap and stacks
	// (RssAnon), and pages of mapped files (RssFile), mostly the bbolt
	// files every node maps, which the kernel may drop and reread.
	AnonBytes int64  `json:"rss_anon_bytes"`
	FileBytes int64  `json:"rss_file_bytes"`
	LoadBytes int64  `json:"load_bytes"` // bodies and ids held for writing
	Note      string `json:"note"`
}

const memoryNote = "one process: every node, the load and the raw baseline share it"

// readMemory reads VmRSS and VmHWM from /proc/self/status (zero where the
// file does not exist).
func readMemory(load int64) Memory {
	m := Memory{LoadBytes: load, Note: memoryNote}
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return m
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		switch k {
		case "VmRSS":
			m.RSSBytes = kib(v)
		case "VmHWM":
			m.PeakRSSBytes = kib(v)
		case "RssAnon":
			m.AnonBytes = kib(v)
		case "RssFile":
			m.FileBytes = kib(v)
		}
	}
	return m
}

// kib parses "  1234 kB" into bytes.
func kib(v string) int64 {
	n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
	return n << 10
}

// Machine describes where the run happened.
type Machine struct {
	CPUs       int    `json:"cpus"` // runtime.NumCPU
	GOMAXPROCS int    `json:"gomaxprocs"`
	CPUModel   string `json:"cpu_model,omitempty"`
	MemBytes   int64  `json:"mem_bytes,omitempty"`
	GoVersion  string `json:"go_version"`
}

// readMachine reads the CPU model and memory from /proc where it can.
func readMachine() Machine {
	m := Machine{CPUs: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0), GoVersion: runtime.Version()}
	m.CPUModel = procField("/proc/cpuinfo", "model name")
	if v := procField("/proc/meminfo", "MemTotal"); v != "" {
		m.MemBytes = kib(v)
	}
	return m
}

// procField returns the value of the first "key: value" line of file.
func procField(file, key string) string {
	f, err := os.Open(file)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
