//! Every op of the fully-parallel RTL (docs/rtl.md) bit-exact in Verilator: the kernel zoo's
//! graphs (`kernel_zoo.rs`: one model reaches every kernel), at 8 bits and with K-hot 2, emitted
//! as Verilog, linted with `verilator --lint-only -Wall` and verified raw bit for raw bit against
//! the interpreter, latency included. Needs verilator on PATH (`.ci/run` installs it): a missing
//! tool fails the test, it never skips.

use std::collections::BTreeSet;

use binpoint::emit::hls::verify::VerifyOptions;
use binpoint::emit::rtl::verify::verify_rtl;
use binpoint::emit::rtl::write_rtl;
use binpoint::lower::{lower, LowerOptions};
use binpoint::quant::{calibrate_and_type, Ranges};
use binpoint_runtime::model::Model;

use crate::compile_util::verify_dir;
use crate::kernel_zoo::{configs, with_cast, zoo_1d, zoo_2d_sized};

#[test]
fn every_kernel_of_the_zoo_is_bit_exact_in_verilator() {
    let mut cases = Vec::new();
    // The 2-D zoo with 2 conv channels on a 4x4 plane (the kernel zoo has 4 on 6x6: 4.5 times the
    // values, about 5 minutes of Verilator builds; its result is in docs/benchmarks.md).
    for (gname, g) in [("zoo2d", zoo_2d_sized(2, 4)), ("zoo1d", zoo_1d())] {
        for (cname, cfg) in configs() {
            let name = format!("{gname}_{cname}");
            let typed =
                calibrate_and_type(&g, &cfg, Ranges::Propagated(Some((-1.0, 1.0)))).unwrap();
            let proto = lower(&typed, &LowerOptions::default()).unwrap().proto;
            if name == "zoo1d_8bit" {
                cases.push(("zoo1d_cast".to_string(), with_cast(proto.clone())));
            }
            cases.push((name, proto));
        }
    }
    let mut seen = BTreeSet::new();
    let mut failures = Vec::new();
    for (name, proto) in cases {
        let out = verify_dir("rtl-ops", &name, &proto);
        let model = Model::from_proto(&proto).unwrap();
        seen.extend(model.layers().iter().map(|l| l.kernel()));
        let t = std::time::Instant::now();
        let rtl = write_rtl(&model, &out).unwrap_or_else(|e| panic!("{name}: {e}"));
        let r = verify_rtl(
            &out,
            &VerifyOptions {
                vectors: 300,
                ..VerifyOptions::default()
            },
        )
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        eprintln!(
            "{name}: {} passed, {} failed, latency {:?} (stated {}), {:.1} s",
            r.passed,
            r.failed,
            r.latency_measured,
            rtl.latency,
            t.elapsed().as_secs_f64()
        );
        if r.failed != 0 || r.passed == 0 || r.latency_measured != Some(rtl.latency) {
            failures.push(format!("{name}:\n{}", r.output));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    eprintln!("kernels: {seen:?}");
}
