package locallambda

import "syscall"

func syscallKill(inst *instance) { syscall.Kill(-inst.cmd.Process.Pid, syscall.SIGKILL) }
