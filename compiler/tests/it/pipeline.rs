//! The pipeline as a library (`binpoint::compile`): the low-rank tolerance search measures the
//! pipeline that ships, and the one hardware plan is stored, read back and checked.

use crate::compile_util;

use binpoint::compress::low_rank::LowRankSpec;
use binpoint::hardware::{Hardware, HardwareError};
use binpoint::pipeline::{compile, CompileOptions, Precision, Target};
use binpoint_runtime::model::Threads;
use compile_util::*;

fn options(khot: Option<u32>, low_rank: Option<LowRankSpec>) -> CompileOptions {
    CompileOptions {
        model: model_path("mlp", 13),
        calib: Some(fixtures().join("data/train_x.npy")),
        labels: Some(fixtures().join("data/train_y.npy")),
        precision: Precision {
            bits: Some(6),
            khot,
            ..Precision::default()
        },
        input_range: None,
        keep_batch_norm: false,
        low_rank,
        learn: None,
        target: Target::default(),
        threads: Threads::All,
    }
}

/// With `--khot K`, the tolerance search's baseline (the undecomposed model, through the search's
/// own measurement) is exactly the accuracy `compile` reports for the K-hot model it ships.
/// (Before the search called the pipeline's stages, it calibrated the unprojected graph: 94.92%
/// against the 95.06% that shipped, on this model.)
#[test]
fn the_tolerance_search_scores_the_khot_pipeline_that_ships() {
    for khot in [None, Some(1)] {
        let shipped = compile(&options(khot, None)).unwrap();
        let shipped = shipped.report.accuracy.unwrap().fixed_accuracy;
        let searched = compile(&options(khot, Some(LowRankSpec::Tolerance(1.0)))).unwrap();
        let search = searched.report.low_rank.low_rank_search.unwrap();
        assert_eq!(search.baseline_accuracy, shipped, "khot {khot:?}");
    }
}

#[test]
fn the_hardware_plan_round_trips_and_is_checked_against_its_model() {
    let c = compile(&options(None, None)).unwrap();
    let text = c.hardware.to_json();
    let back = Hardware::from_json(&text).unwrap();
    assert_eq!(back, c.hardware);
    back.check(&c.model).unwrap();
    // Every layer planned, MAC layers with the estimate's reuse factors.
    assert_eq!(back.layers.len(), c.model.layers().len());
    for (l, e) in back.layers.iter().zip(&c.estimate.layers) {
        assert_eq!(l.name, e.name);
    }

    let mut renamed = back.clone();
    renamed.layers[0].name = "elsewhere".into();
    let e = renamed.check(&c.model).unwrap_err();
    assert!(matches!(e, HardwareError::Mismatch(_)), "{e}");
    assert!(e.to_string().contains("'elsewhere'"), "{e}");

    let mut folded = back.clone();
    folded.layers[0].reuse_factor = folded.layers[0].fan_in + 1;
    let e = folded.check(&c.model).unwrap_err();
    assert!(e.to_string().contains("reuse factor"), "{e}");

    let mut short = back.clone();
    short.layers.pop();
    assert!(short.check(&c.model).is_err());

    for bad in [
        text.replace("\"ultra96v2\"", "\"no-such-board\""),
        text.replace("\"m_axi\"", "\"pcie\""),
        text.replace(
            "\"format_version\": 2",
            "\"format_version\": 2, \"extra\": 0",
        ),
        text.replace("\"strategy\": \"resource\"", "\"strategy\": \"fastest\""),
    ] {
        assert!(Hardware::from_json(&bad).is_err(), "{bad}");
    }
}

/// `verify --regenerate` emits from the stored plan, and refuses, naming the file, when it is
/// missing (no silent default).
#[test]
fn regenerating_needs_the_stored_plan() {
    let out = binpoint::emit::hls::ap_types::target_dir().join("pipeline-tests/no-plan");
    let _ = std::fs::remove_dir_all(&out);
    let c = compile(&options(None, None)).unwrap();
    binpoint::pipeline::emit(&c, &out, false).unwrap();
    std::fs::remove_file(out.join(binpoint::hardware::FILE_NAME)).unwrap();
    let opts = binpoint::emit::hls::verify::VerifyOptions {
        vectors: 10,
        regenerate: true,
        ..Default::default()
    };
    let e = binpoint::emit::hls::verify::verify(&out, &opts).unwrap_err();
    assert!(e.to_string().contains("hardware.json"), "{e}");
}

/// `--force` replaces symlinks in OUT instead of writing through them, and a file that appears in
/// OUT during a compile is not overwritten without it (issue 17's data-loss cases).
#[test]
fn emitting_never_writes_through_symlinks_or_over_new_files() {
    use std::os::unix::fs::symlink;
    let root = binpoint::emit::hls::ap_types::target_dir().join("pipeline-tests/symlinks");
    let _ = std::fs::remove_dir_all(&root);
    let (out, outside) = (root.join("out"), root.join("outside"));
    std::fs::create_dir_all(outside.join("crate/src")).unwrap();
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(outside.join("notes.txt"), "mine").unwrap();
    std::fs::write(outside.join("crate/src/main.rs"), "fn main() {}").unwrap();
    std::fs::write(outside.join("crate/Cargo.toml"), "[package]").unwrap();
    symlink(outside.join("notes.txt"), out.join("report.txt")).unwrap();
    symlink(outside.join("crate"), out.join("sim")).unwrap();
    std::fs::write(out.join("keep.txt"), "other").unwrap();

    let c = compile(&options(None, None)).unwrap();
    let e = binpoint::pipeline::emit(&c, &out, false).unwrap_err();
    assert!(e.to_string().contains("not empty"), "{e}");
    binpoint::pipeline::emit(&c, &out, true).unwrap();

    assert_eq!(
        std::fs::read_to_string(outside.join("notes.txt")).unwrap(),
        "mine"
    );
    let main = std::fs::read_to_string(outside.join("crate/src/main.rs")).unwrap();
    assert_eq!(main, "fn main() {}");
    assert_eq!(
        std::fs::read_to_string(outside.join("crate/Cargo.toml")).unwrap(),
        "[package]"
    );
    for p in ["report.txt", "sim"] {
        let m = std::fs::symlink_metadata(out.join(p)).unwrap();
        assert!(!m.file_type().is_symlink(), "{p} is still a symlink");
    }
    assert!(out.join("sim/src/lib.rs").is_file());
    assert_eq!(
        std::fs::read_to_string(out.join("keep.txt")).unwrap(),
        "other"
    );
    let left: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".binpoint-staging"))
        .collect();
    assert!(left.is_empty(), "{left:?}");

    // A file that appeared in an (initially empty) OUT while compiling: refused, left as it was.
    let fresh = root.join("fresh");
    std::fs::create_dir_all(&fresh).unwrap();
    binpoint::pipeline::check_out(&fresh, false).unwrap();
    std::fs::write(fresh.join("report.json"), "written meanwhile").unwrap();
    let e = binpoint::pipeline::emit(&c, &fresh, false).unwrap_err();
    assert!(e.to_string().contains("not empty"), "{e}");
    let kept = std::fs::read_to_string(fresh.join("report.json")).unwrap();
    assert_eq!(kept, "written meanwhile");
}
