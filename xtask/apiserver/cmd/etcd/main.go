// etcd for the API server of `xtask/apiserver/dry-run.sh`, at the version
// kube-apiserver's own go.mod asks for.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
