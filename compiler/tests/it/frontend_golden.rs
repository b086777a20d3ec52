//! Golden IR dumps of every fixture after load and after cleanup (compiler/tests/frontend_golden/).
//! Regenerate after an intended change with `BINPOINT_UPDATE_GOLDEN=1 cargo test -p binpoint --test it frontend_golden`.

use crate::frontend_util;

use binpoint::passes::{cleanup, CleanupOptions};
use frontend_util::fixtures;
use std::path::PathBuf;

#[test]
fn fixture_dumps_match_golden() {
    let golden = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/frontend_golden");
    let update = std::env::var_os("BINPOINT_UPDATE_GOLDEN").is_some();
    let mut diffs = Vec::new();
    for m in ["mlp", "cnn_bn", "resnet", "dwsep", "conv1d", "activations"] {
        for v in ["13", "18"] {
            let path = fixtures().join(format!("{m}/{m}_opset{v}.onnx"));
            let mut g = binpoint::onnx::load_file(&path).unwrap_or_else(|e| panic!("{e}"));
            g.source = format!("{m}_opset{v}.onnx");
            let mut text = format!("# loaded\n{}", g.dump());
            cleanup(&mut g, &CleanupOptions::default()).unwrap_or_else(|e| panic!("{e}"));
            text.push_str(&format!("# after cleanup\n{}", g.dump()));
            let file = golden.join(format!("{m}_opset{v}.txt"));
            if update {
                std::fs::write(&file, &text).expect("write golden");
                continue;
            }
            match std::fs::read_to_string(&file) {
                Ok(want) if want == text => {}
                Ok(_) => diffs.push(format!("{} differs:\n{text}", file.display())),
                Err(e) => diffs.push(format!("{}: {e}", file.display())),
            }
        }
    }
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
}
