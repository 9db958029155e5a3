package sheet

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

const benchRows = 100_000

var (
	benchOnce sync.Once
	benchCSV  []byte
	benchXLSX []byte
	benchErr  error
)

// customerRow makes a deterministic 12-column Chinese customer row.
func customerRow(i int) []string {
	surnames := []string{"张", "王", "李", "赵", "刘", "陈", "杨", "黄", "周", "吴"}
	given := []string{"伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳"}
	cities := [][2]string{{"广东省", "深圳市"}, {"浙江省", "杭州市"}, {"北京市", "北京市"}, {"上海市", "上海市"}, {"四川省", "成都市"}, {"湖北省", "武汉市"}}
	industries := []string{"制造业", "互联网", "教育培训", "医疗健康", "零售", "金融"}
	sources := []string{"官网表单", "展会", "老客户介绍", "电话营销", "微信公众号"}
	c := cities[i%len(cities)]
	return []string{
		fmt.Sprintf("%s%s科技有限公司%d", c[1][:len(c[1])-len("市")], given[i%len(given)], i),
		surnames[i%len(surnames)] + given[(i/10)%len(given)],
		fmt.Sprintf("1%02d%08d", 30+i%60, i),
		fmt.Sprintf("user%d@example.cn", i),
		c[0],
		c[1],
		fmt.Sprintf("%s科技园路%d号%d栋", c[1], i%300, i%20),
		industries[i%len(industries)],
		sources[i%len(sources)],
		surnames[(i/7)%len(surnames)] + "经理",
		fmt.Sprintf("2024-%02d-%02d", 1+i%12, 1+i%28),
		fmt.Sprintf("第%d次跟进，客户对报价有疑问，需要再次沟通", i%9),
	}
}

func genBenchFiles() {
	header := []string{"客户名称", "联系人", "手机", "邮箱", "省份", "城市", "地址", "行业", "来源", "负责人", "创建日期", "备注"}
	for _, f := range []Format{CSV, XLSX} {
		var buf bytes.Buffer
		w, err := NewWriter(f, &buf, "客户")
		if err != nil {
			benchErr = err
			return
		}
		if err := w.Row(header); err != nil {
			benchErr = err
			return
		}
		for i := 0; i < benchRows; i++ {
			if err := w.Row(customerRow(i)); err != nil {
				benchErr = err
				return
			}
		}
		if err := w.Close(); err != nil {
			benchErr = err
			return
		}
		if f == CSV {
			benchCSV = buf.Bytes()
		} else {
			benchXLSX = buf.Bytes()
		}
	}
}

func benchRead(b *testing.B, name string, data func() []byte) {
	benchOnce.Do(genBenchFiles)
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	path := filepath.Join(b.TempDir(), name)
	if err := os.WriteFile(path, data(), 0o600); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(data())))
	// live measures the heap still reachable (after a GC, timer stopped):
	// what the reader holds on to, as opposed to garbage it churns through.
	var peak uint64
	var ms runtime.MemStats
	live := func() uint64 {
		runtime.GC()
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	sample := func() {
		b.StopTimer()
		peak = max(peak, live())
		b.StartTimer()
	}
	base := live()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		fh, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		st, _ := fh.Stat()
		r, err := Open(fh, st.Size(), name)
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			_, _, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			if n++; n%10_000 == 0 {
				sample()
			}
		}
		if n != benchRows {
			b.Fatalf("read %d rows, want %d", n, benchRows)
		}
		if err := r.Close(); err != nil {
			b.Fatal(err)
		}
		fh.Close()
	}
	b.StopTimer()
	// Live heap above the pre-read baseline, sampled every 10k rows: the
	// streaming claim in numbers.
	extra := 0.0
	if peak > base {
		extra = float64(peak-base) / (1 << 20)
	}
	b.ReportMetric(extra, "live-heap-MB")
}

func BenchmarkReadCSV100k(b *testing.B) {
	benchRead(b, "customers.csv", func() []byte { return benchCSV })
}

func BenchmarkReadXLSX100k(b *testing.B) {
	benchRead(b, "customers.xlsx", func() []byte { return benchXLSX })
}
