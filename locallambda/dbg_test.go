package locallambda

import (
	"context"
	"testing"
	"time"

	"github.com/benchctl/benchctl/scenarios"
)

func TestDbgClose(t *testing.T) {
	p, err := New([]scenarios.Function{{Name: "s", Command: []string{"benchctl", "function", "--model", "tinybert-4l-312"}, MemorySize: 1769, Timeout: 30 * time.Second}}, WithSelfExecutable("/tmp/h4bin/benchctl"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p.Start(ctx, "127.0.0.1:0")
	fn := p.lookup("s")
	p.invoke(ctx, fn, []byte(`{"text":"hi"}`), "")
	var inst *instance
	for i := range fn.instances {
		inst = i
	}
	t0 := time.Now()
	close(inst.shutdown)
	inst.killOnce.Do(func() {})
	syscallKill(inst)
	<-inst.exited
	t.Log("exited after", time.Since(t0))
	inst.srv.Close()
	t.Log("srv closed after", time.Since(t0))
	inst.cg.remove()
	t.Log("cg removed after", time.Since(t0))
	cancel()
	p.Close(context.Background())
	t.Log("close took", time.Since(t0))
}
