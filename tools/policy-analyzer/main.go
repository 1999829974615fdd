// Command pulumi-language-python is a thin front for the Python language host that scripts/toolchain.sh builds
// from github.com/pulumi/pulumi/sdk/v3 v3.79.0 (the last release that shipped it inside the sdk/v3 module).
//
// Why: the CLI v3.259.0 starts a Python policy pack (`pulumi preview --policy-pack DIR`, PulumiPolicy.yaml with
// `runtime: python`) through the language host's RunPlugin RPC, describing the pack in the request's `info`
// ProgramInfo (program directory, runtime options). The v3.79.0 host predates that field: it reads only the
// deprecated `program` field, which the v3.259.0 CLI leaves empty, runs `python3 "" <engine-address>`, the
// interpreter runs an empty script from /dev/null and exits 0 without printing a port, and the CLI reports
//
//	policy pack "DIR" failed to start: could not read plugin [DIR]: EOF
//
// This front starts the real host (../libexec/pulumi-language-python next to this executable, or
// $NEXUS_PULUMI_LANGUAGE_PYTHON_HOST), forwards every RPC to it unchanged as raw bytes, and answers RunPlugin
// itself, the way newer Python language hosts do: `python -u <program-directory> <args...>` in the request's
// working directory and environment, with python from the `virtualenv` runtime option (relative to the
// plugin's root directory, i.e. the directory holding PulumiPolicy.yaml) or else $PULUMI_PYTHON_CMD or python3.
package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

const runPluginMethod = "/pulumirpc.LanguageRuntime/RunPlugin"

// frame is one gRPC message, kept as its wire bytes.
type frame struct{ payload []byte }

// rawCodec passes messages through without decoding them. It is named "proto" so that the content type on the
// wire stays application/grpc+proto in both directions.
type rawCodec struct{}

func (rawCodec) Name() string { return "proto" }

func (rawCodec) Marshal(v any) ([]byte, error) {
	f, ok := v.(*frame)
	if !ok {
		return nil, fmt.Errorf("rawCodec: cannot marshal %T", v)
	}
	return f.payload, nil
}

func (rawCodec) Unmarshal(data []byte, v any) error {
	f, ok := v.(*frame)
	if !ok {
		return fmt.Errorf("rawCodec: cannot unmarshal into %T", v)
	}
	f.payload = append(f.payload[:0], data...)
	return nil
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "pulumi-language-python (nexus front): "+format+"\n", args...)
	os.Exit(1)
}

func ownDir() string {
	exe, err := os.Executable()
	if err != nil {
		fatalf("locating own executable: %v", err)
	}
	if resolved, err := filepath.EvalSymlinks(exe); err == nil {
		exe = resolved
	}
	return filepath.Dir(exe)
}

func main() {
	dir := ownDir()
	realHost := os.Getenv("NEXUS_PULUMI_LANGUAGE_PYTHON_HOST")
	if realHost == "" {
		realHost = filepath.Join(dir, "..", "libexec", "pulumi-language-python")
	}
	// The real host looks for pulumi-language-python-exec next to itself; point it at the one next to us.
	args := os.Args[1:]
	executor := filepath.Join(dir, "pulumi-language-python-exec")
	if _, err := os.Stat(executor); err == nil && !hasFlag(args, "use-executor") {
		args = append([]string{"-use-executor=" + executor}, args...)
	}

	// Start the real language host with our arguments and read the port it listens on.
	host := exec.Command(realHost, args...)
	host.Stdin = os.Stdin
	host.Stderr = os.Stderr
	host.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	hostOut, err := host.StdoutPipe()
	if err != nil {
		fatalf("%v", err)
	}
	if err := host.Start(); err != nil {
		fatalf("starting the Python language host: %v", err)
	}
	reader := bufio.NewReader(hostOut)
	portLine, err := reader.ReadString('\n')
	if err != nil {
		_ = host.Wait()
		fatalf("reading the Python language host's port: %v", err)
	}
	go func() { _, _ = io.Copy(os.Stdout, reader) }()

	upstream, err := grpc.NewClient("127.0.0.1:"+strings.TrimSpace(portLine),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.ForceCodec(rawCodec{}),
			grpc.MaxCallRecvMsgSize(400*1024*1024), grpc.MaxCallSendMsgSize(400*1024*1024)))
	if err != nil {
		fatalf("dialing the Python language host: %v", err)
	}

	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fatalf("%v", err)
	}
	server := grpc.NewServer(
		grpc.ForceServerCodec(rawCodec{}),
		grpc.MaxRecvMsgSize(400*1024*1024), grpc.MaxSendMsgSize(400*1024*1024),
		grpc.UnknownServiceHandler(func(_ any, stream grpc.ServerStream) error {
			method, ok := grpc.MethodFromServerStream(stream)
			if !ok {
				return status.Error(codes.Internal, "no method name on stream")
			}
			if method == runPluginMethod {
				return runPlugin(stream)
			}
			return forward(method, stream, upstream)
		}))

	// Exit with the real host: when the CLI shuts it down (SIGINT to the process group, or SIGKILL to us, which
	// Pdeathsig passes on), or when it dies on its own.
	done := make(chan int, 1)
	go func() {
		code := 0
		if err := host.Wait(); err != nil {
			var exitErr *exec.ExitError
			if errors.As(err, &exitErr) {
				code = exitErr.ExitCode()
			} else {
				code = 1
			}
		}
		done <- code
	}()
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	go func() {
		for sig := range signals {
			if host.Process != nil {
				_ = host.Process.Signal(sig)
			}
		}
	}()
	go func() { _ = server.Serve(lis) }()

	fmt.Printf("%d\n", lis.Addr().(*net.TCPAddr).Port)

	code := <-done
	server.Stop()
	os.Exit(code)
}

func hasFlag(args []string, name string) bool {
	for _, a := range args {
		a = strings.TrimLeft(a, "-")
		if a == name || strings.HasPrefix(a, name+"=") {
			return true
		}
	}
	return false
}

// forward relays one call, of any shape (unary or streaming), to the real language host.
func forward(method string, in grpc.ServerStream, upstream *grpc.ClientConn) error {
	ctx, cancel := context.WithCancel(in.Context())
	defer cancel()
	if md, ok := metadata.FromIncomingContext(in.Context()); ok {
		ctx = metadata.NewOutgoingContext(ctx, md.Copy())
	}
	out, err := upstream.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true, ClientStreams: true}, method)
	if err != nil {
		return err
	}

	// Client to host.
	sendErr := make(chan error, 1)
	go func() {
		for {
			f := &frame{}
			if err := in.RecvMsg(f); err != nil {
				if errors.Is(err, io.EOF) {
					sendErr <- out.CloseSend()
				} else {
					sendErr <- err
				}
				return
			}
			if err := out.SendMsg(f); err != nil {
				sendErr <- err
				return
			}
		}
	}()

	// Host to client.
	first := true
	for {
		f := &frame{}
		if err := out.RecvMsg(f); err != nil {
			in.SetTrailer(out.Trailer())
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err // a status error from the host goes back as it is
		}
		if first {
			if md, err := out.Header(); err == nil {
				_ = in.SendHeader(md)
			}
			first = false
		}
		if err := in.SendMsg(f); err != nil {
			return err
		}
		select {
		case err := <-sendErr:
			if err != nil {
				return err
			}
			sendErr = nil // the client finished sending; keep relaying replies
		default:
		}
	}
}

// streamWriter sends what a plugin writes to stdout or stderr as RunPluginResponse messages.
type streamWriter struct {
	mu     *sync.Mutex
	stream grpc.ServerStream
	stderr bool
}

func (w streamWriter) Write(p []byte) (int, error) {
	resp := &pulumirpc.RunPluginResponse{}
	data := append([]byte(nil), p...)
	if w.stderr {
		resp.Output = &pulumirpc.RunPluginResponse_Stderr{Stderr: data}
	} else {
		resp.Output = &pulumirpc.RunPluginResponse_Stdout{Stdout: data}
	}
	if err := send(w.mu, w.stream, resp); err != nil {
		return 0, err
	}
	return len(p), nil
}

func send(mu *sync.Mutex, stream grpc.ServerStream, resp *pulumirpc.RunPluginResponse) error {
	payload, err := proto.Marshal(resp)
	if err != nil {
		return err
	}
	mu.Lock()
	defer mu.Unlock()
	return stream.SendMsg(&frame{payload: payload})
}

// runPlugin implements LanguageRuntime.RunPlugin for ProgramInfo-style requests.
func runPlugin(stream grpc.ServerStream) error {
	in := &frame{}
	if err := stream.RecvMsg(in); err != nil {
		return err
	}
	req := &pulumirpc.RunPluginRequest{}
	if err := proto.Unmarshal(in.payload, req); err != nil {
		return status.Errorf(codes.InvalidArgument, "decoding RunPluginRequest: %v", err)
	}

	programDir := req.GetInfo().GetProgramDirectory()
	rootDir := req.GetInfo().GetRootDirectory()
	if programDir == "" {
		programDir = req.GetProgram() //nolint:staticcheck // older CLIs fill only the deprecated field
	}
	if programDir == "" {
		return status.Error(codes.InvalidArgument, "RunPlugin: no program directory in the request")
	}
	if rootDir == "" {
		rootDir = programDir
	}

	python, env, err := pythonFor(req, rootDir)
	if err != nil {
		return err
	}
	args := append([]string{"-u", programDir}, req.GetArgs()...)
	cmd := exec.CommandContext(stream.Context(), python, args...)
	cmd.Dir = req.GetPwd()
	cmd.Env = env
	var mu sync.Mutex
	cmd.Stdout = streamWriter{mu: &mu, stream: stream}
	cmd.Stderr = streamWriter{mu: &mu, stream: stream, stderr: true}

	if err := cmd.Run(); err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			return send(&mu, stream, &pulumirpc.RunPluginResponse{
				Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: int32(exitErr.ExitCode())},
			})
		}
		return fmt.Errorf("problem executing plugin program (could not run python): %w", err)
	}
	return nil
}

// pythonFor picks the interpreter and environment for a plugin: the `virtualenv` runtime option (relative to the
// plugin's root directory) if set, else $PULUMI_PYTHON_CMD, else python3 from PATH.
func pythonFor(req *pulumirpc.RunPluginRequest, rootDir string) (string, []string, error) {
	env := req.GetEnv()
	if len(env) == 0 {
		env = os.Environ()
	}
	virtualenv := ""
	if opts := req.GetInfo().GetOptions(); opts != nil {
		if v, ok := opts.AsMap()["virtualenv"].(string); ok {
			virtualenv = v
		}
	}
	if virtualenv == "" {
		cmd := "python3"
		if c := lookupEnv(env, "PULUMI_PYTHON_CMD"); c != "" {
			cmd = c
		}
		path, err := exec.LookPath(cmd)
		if err != nil {
			return "", nil, fmt.Errorf("failed to locate %q on your PATH: %w", cmd, err)
		}
		return path, env, nil
	}
	if !filepath.IsAbs(virtualenv) {
		virtualenv = filepath.Join(rootDir, virtualenv)
	}
	python := filepath.Join(virtualenv, "bin", "python")
	if _, err := os.Stat(python); err != nil {
		return "", nil, fmt.Errorf("the 'virtualenv' option in %s is set to %q, but %s does not exist; "+
			"create it with: python3 -m venv %s && %s -m pip install -r requirements.txt",
			filepath.Join(rootDir, "PulumiPolicy.yaml"), virtualenv, python, virtualenv, python)
	}
	// Activate the virtual environment, as `source bin/activate` would.
	activated := make([]string, 0, len(env)+2)
	for _, kv := range env {
		switch {
		case strings.HasPrefix(kv, "PYTHONHOME="), strings.HasPrefix(kv, "VIRTUAL_ENV="):
		case strings.HasPrefix(kv, "PATH="):
			activated = append(activated, "PATH="+filepath.Join(virtualenv, "bin")+string(os.PathListSeparator)+
				strings.TrimPrefix(kv, "PATH="))
		default:
			activated = append(activated, kv)
		}
	}
	if lookupEnv(env, "PATH") == "" {
		activated = append(activated, "PATH="+filepath.Join(virtualenv, "bin"))
	}
	activated = append(activated, "VIRTUAL_ENV="+virtualenv)
	return python, activated, nil
}

func lookupEnv(env []string, key string) string {
	value := ""
	for _, kv := range env {
		if strings.HasPrefix(kv, key+"=") {
			value = strings.TrimPrefix(kv, key+"=") // the last one wins, as with exec
		}
	}
	return value
}
