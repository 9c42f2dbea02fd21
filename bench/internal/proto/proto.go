// Package proto is the control protocol between the bench orchestrator and
// its worker processes: one JSON object per line, commands on the worker's
// stdin, replies on its stdout. bench/node/worker.js speaks the same.
package proto

// Command ops.
const (
	OpRecv    = "recv"    // subscribe Ch, count up to N messages (an empty one ends early), ack on AckCh; replies "ready" then "done"
	OpSend    = "send"    // probe, then publish N messages of Size bytes on Ch with a credit window, or fewer within BudgetMS; replies "done"
	OpServe   = "serve"   // answer requests on Ch with the payload received; replies "ready"
	OpUnserve = "unserve" // stop answering on Ch; replies "done"
	OpReqSeq  = "reqseq"  // N sequential requests; replies "done" with P50/P99
	OpReqPar  = "reqpar"  // N requests, InFlight at a time; replies "done"
	OpConnect = "connect" // N sequential connects (and closes); replies "done" with the median
	OpIdle    = "idle"    // open N idle connections and hold them; replies "done"
	OpRelease = "release" // close the idle connections; replies "done"
	OpPeers   = "peers"   // raw direct: the addresses of every worker, by id; replies "done"
	// The original's big-payload scenario: values of one Kind, one at a time.
	OpBigRecv = "bigrecv" // subscribe Ch (and ProbeCh), decode N values of Kind and Size, ack each on AckCh with the wall-clock ns it had them; replies "ready" then "done"
	OpBigSend = "bigsend" // probe, then send N values of Kind and Size on Ch one at a time, each after the last one's ack; replies "done" with MedUS, the median one-way time
	OpQuit    = "quit"    // exit
)

// Command is one instruction to a worker.
type Command struct {
	Op  string `json:"op"`
	Seq int    `json:"seq"` // echoed in every reply

	Ch       string `json:"ch,omitempty"`
	AckCh    string `json:"ackCh,omitempty"`
	ProbeCh  string `json:"probeCh,omitempty"`
	N        int    `json:"n,omitempty"`
	Size     int    `json:"size,omitempty"`
	Warmup   int    `json:"warmup,omitempty"`
	Window   int    `json:"window,omitempty"`   // messages a sender may have unacknowledged
	AckEvery int    `json:"ackEvery,omitempty"` // a receiver acks every AckEvery messages
	InFlight int    `json:"inFlight,omitempty"`
	// Kind is the value sent by OpBigSend: KindString, KindObject,
	// KindBuffer or KindArgs.
	Kind string `json:"kind,omitempty"`
	// Dst lists the worker ids a message goes to (the raw systems route by
	// it; the buses route by channel and ignore it).
	Dst []int `json:"dst,omitempty"`
	// Addrs gives, for OpPeers, each worker's listening address by id.
	Addrs []string `json:"addrs,omitempty"`
	// BudgetMS bounds a measuring loop in time: a sender or requester
	// stops there even short of N (a sender then ends the run with an empty
	// message). Zero: no bound but the timeout.
	BudgetMS int `json:"budgetMs,omitempty"`
	// TimeoutMS bounds the whole command; past it the command fails.
	TimeoutMS int `json:"timeoutMs,omitempty"`
}

// Kinds of value of the big-payload scenario, as electron-common-ipc's
// test-app sends them. Size is the payload's bytes in all; KindArgs
// splits it in three.
const (
	KindString = "string" // a string of Size ASCII characters
	KindObject = "object" // {uuid: a 36-character UUID, payload: a string of Size}
	KindBuffer = "buffer" // Size bytes (Go []byte, Node Buffer)
	KindArgs   = "args"   // four arguments: a string, an object as above and a buffer of Size/3 each, and a number
)

// Kinds lists them in table order.
var Kinds = []string{KindString, KindObject, KindBuffer, KindArgs}

// Reply phases.
const (
	PhaseReady = "ready"
	PhaseDone  = "done"
)

// Reply is a worker's answer to a command, or its hello (Seq 0, Phase
// "ready") once it is connected.
type Reply struct {
	Seq   int    `json:"seq"`
	Phase string `json:"phase"`
	Err   string `json:"err,omitempty"`

	Addr  string   `json:"addr,omitempty"`  // hello of a hub or of a raw-direct worker: where it listens
	Addrs []string `json:"addrs,omitempty"` // hello of an ipcbus hub: unix, tcp and ws addresses
	PID   int      `json:"pid,omitempty"`

	Count   int     `json:"count,omitempty"`   // messages received, requests answered, connections made (OpIdle: held)
	Bad     int     `json:"bad,omitempty"`     // payloads of the wrong size, failed requests
	Dropped uint64  `json:"dropped,omitempty"` // events the client library dropped
	FirstNS int64   `json:"firstNs,omitempty"` // unix ns of the first counted message
	LastNS  int64   `json:"lastNs,omitempty"`  // unix ns of the last
	Seconds float64 `json:"seconds,omitempty"` // elapsed, for senders and requesters
	P50US   float64 `json:"p50Us,omitempty"`
	P99US   float64 `json:"p99Us,omitempty"`
	MedUS   float64 `json:"medUs,omitempty"`
}
