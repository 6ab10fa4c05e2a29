package objects_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestAWSCLI runs the aws CLI against the embedded endpoint: mb, cp up
// (a 9 MB file: a multipart upload) and down (to stdout), ls, rm. It is
// skipped without /usr/bin/aws, unless STEPWISE_REQUIRE_AWSCLI=1.
func TestAWSCLI(t *testing.T) {
	t.Parallel()
	const cli = "/usr/bin/aws"
	if _, err := os.Stat(cli); err != nil {
		if os.Getenv("STEPWISE_REQUIRE_AWSCLI") == "1" {
			t.Fatalf("STEPWISE_REQUIRE_AWSCLI=1 but %s: %v", cli, err)
		}
		t.Skipf("no %s", cli)
	}
	_, url, dir := endpoint(t)
	tmp := t.TempDir()
	aws := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(cli, append([]string{"--endpoint-url", url, "--no-cli-pager"}, args...)...)
		cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + tmp, "AWS_ACCESS_KEY_ID=any", "AWS_SECRET_ACCESS_KEY=any",
			"AWS_DEFAULT_REGION=us-east-1", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_EC2_METADATA_DISABLED=true"}
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, errb.String())
		}
		return out.String()
	}
	big := bytes.Repeat([]byte("stepwise!"), 1<<20) // 9 MiB: over the CLI's 8 MB multipart threshold
	if err := os.WriteFile(filepath.Join(tmp, "big.bin"), big, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tmp, "small.txt"), []byte("hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	aws("s3", "mb", "s3://cli-bucket")
	aws("s3", "cp", filepath.Join(tmp, "big.bin"), "s3://cli-bucket/data/big.bin")
	aws("s3", "cp", filepath.Join(tmp, "small.txt"), "s3://cli-bucket/data/sub dir/small+1.txt")
	if b, err := os.ReadFile(filepath.Join(dir, "cli-bucket", "data", "big.bin")); err != nil || !bytes.Equal(b, big) {
		t.Errorf("the uploaded file: %d bytes, %v; want %d", len(b), err, len(big))
	}
	ls := aws("s3", "ls", "--recursive", "s3://cli-bucket")
	if !strings.Contains(ls, " 9437184 data/big.bin") || !strings.Contains(ls, " 6 data/sub dir/small+1.txt") {
		t.Errorf("aws s3 ls --recursive:\n%s", ls)
	}
	if ls := aws("s3", "ls", "s3://cli-bucket/data/"); !strings.Contains(ls, "PRE sub dir/") {
		t.Errorf("aws s3 ls data/:\n%s", ls)
	}
	if got := aws("s3", "cp", "s3://cli-bucket/data/sub dir/small+1.txt", "-"); got != "hello\n" {
		t.Errorf("aws s3 cp ... - = %q; want hello", got)
	}
	aws("s3", "cp", "s3://cli-bucket/data/big.bin", filepath.Join(tmp, "down.bin"))
	if b, err := os.ReadFile(filepath.Join(tmp, "down.bin")); err != nil || !bytes.Equal(b, big) {
		t.Errorf("downloaded big.bin: %d bytes, %v", len(b), err)
	}
	aws("s3", "rm", "--recursive", "s3://cli-bucket/data/")
	if ls := aws("s3", "ls", "s3://cli-bucket"); strings.TrimSpace(ls) != "" {
		t.Errorf("after rm: %q", ls)
	}
	if ls := aws("s3", "ls"); !strings.Contains(ls, "cli-bucket") {
		t.Errorf("aws s3 ls = %q", ls)
	}
}
