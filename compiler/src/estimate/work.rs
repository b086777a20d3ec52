//! What each layer of a compiled model asks of the hardware, read once from the [`ModelProto`]:
//! the loop trip counts, the multipliers and their operand widths, adders and comparators, the
//! constant arrays (weights, biases, tables) and the activation arrays between layers. The cost
//! model ([`super::cost`]) turns this plus a folding into resources and cycles.

use binpoint_runtime::model::format::{layer::Kernel, ModelProto, OperandProto, TypeProto};

use super::rules::csd_nonzeros;
use super::EstimateError;

/// A multiplier operand: raw width and signedness.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Operand {
    pub width: u32,
    pub signed: bool,
}

impl Operand {
    fn of(t: &TypeProto) -> Operand {
        Operand {
            width: t.width.max(1),
            signed: t.signed,
        }
    }
    /// Width as a signed operand (DSP ports are signed).
    pub fn signed_bits(self) -> u32 {
        super::rules::signed_bits(self.width, self.signed)
    }
}

/// A constant array of a layer: `len` words of `width` bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rom {
    pub len: u64,
    pub width: u64,
}

/// A multiply-accumulate layer (dense, conv): `positions` positions (1 for dense, the output
/// pixels of a conv), each `fan_in` products into each of `n_out` outputs.
#[derive(Clone, Debug, PartialEq)]
pub struct Mac {
    pub x: Operand,
    pub w: Operand,
    pub acc_bits: u32,
    pub out_bits: u32,
    /// The cast `accumulator → output` is wiring ([`super::rules::cast_is_wiring`]).
    pub out_cast_wiring: bool,
    /// Products per output value.
    pub fan_in: u64,
    /// Output values per position (dense: `n_out`; conv: `C_out`).
    pub n_out: u64,
    /// Positions (dense: 1; conv: output pixels).
    pub positions: u64,
    /// A convolution: the resource kernel reads its taps from its input array and writes its
    /// outputs into its output array, partitioned or not by the plan
    /// ([`binpoint_runtime::ops::MacFold::conv_in_banks`]); dense partitions its input by the
    /// taps of a step.
    pub conv: bool,
    /// Words of the input array (dense: `n_in`; conv: `C_in·H·W`).
    pub input_words: u64,
    /// Groups of a grouped convolution (1: dense, ordinary conv).
    pub groups: u64,
    pub weights: Rom,
    pub bias: Rom,
    /// What the constant weights cost as hardware products ([`ConstMatrix`]).
    pub constants: ConstMatrix,
    /// Largest number of non-zero CSD digits of a weight (shift-add terms per product).
    pub max_terms: u32,
    /// K-hot layers (`khot > 0` in the model): the multiplier-free kernels' hardware.
    pub khot: Option<KhotWork>,
}

/// A constant weight matrix `[n_out][fan_in]` read as the operators HLS builds when the weights
/// are compile-time constants (the latency strategy). Measured on the csynth report of the jet
/// tagger (docs/estimator.md, "Constant products"): a zero weight is nothing; `+2^k` is wiring and
/// `-2^k` one negation; a constant with two non-zero canonical-signed-digit digits one adder
/// (`+,+`) or subtractor (other signs; `-,-` also negates its higher digit); three or more
/// digits a multiplier. Products of one input by one *signed* constant are built once (`c` and
/// `-c` are not shared); so are the negations of one input by one shift.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConstMatrix {
    pub zeros: u64,
    pub powers_of_two: u64,
    pub two_digit: u64,
    /// Products with three or more digits.
    pub multi_digit: u64,
    /// Distinct (input, constant) pairs of three or more digits: the multipliers.
    pub multipliers: u64,
    /// Shift-add operators: two-digit adders and subtractors, and negations.
    pub shift_adds: u64,
    /// Non-zero products.
    pub nonzero: u64,
    /// Non-zero products plus non-zero biases minus outputs: the adds of the sums.
    pub sum_adds: u64,
    /// Most non-zero products of one output (its adder tree's width).
    pub max_row_nonzero: u64,
}

impl ConstMatrix {
    /// `weights [n_out][fan_in]` and `bias [n_out]` (empty: none); outputs of one group of
    /// `group_outputs` share their inputs (a dense layer: all; a grouped conv: `C_out / groups`).
    pub fn read(
        weights: &[i64],
        bias: &[i64],
        fan_in: u64,
        n_out: u64,
        group_outputs: u64,
    ) -> ConstMatrix {
        use binpoint_runtime::fixed::csd_digits;
        use std::collections::HashSet;
        let mut m = ConstMatrix::default();
        let fan_in = fan_in.max(1) as usize;
        if weights.len() as u64 != fan_in as u64 * n_out {
            // Weights not given: every product a multiplier (the worst case).
            let products = fan_in as u64 * n_out;
            m.multi_digit = products;
            m.multipliers = products;
            m.nonzero = products;
            m.sum_adds = products;
            m.max_row_nonzero = fan_in as u64;
            return m;
        }
        let (mut mults, mut adds, mut negs) = (HashSet::new(), HashSet::new(), HashSet::new());
        let mut rows = 0u64;
        for (o, row) in weights.chunks(fan_in).enumerate() {
            rows += 1;
            let group = o as u64 / group_outputs.max(1);
            let mut row_nonzero = 0;
            for (t, &v) in row.iter().enumerate() {
                let d = csd_digits(v);
                match d.len() {
                    0 => m.zeros += 1,
                    1 => {
                        m.powers_of_two += 1;
                        if d[0].negative {
                            negs.insert((group, t, d[0].shift));
                        }
                    }
                    2 => {
                        m.two_digit += 1;
                        adds.insert((group, t, v));
                        // Least significant first: d[1] is the higher digit.
                        if d[0].negative && d[1].negative {
                            negs.insert((group, t, d[1].shift));
                        }
                    }
                    _ => {
                        m.multi_digit += 1;
                        mults.insert((group, t, v));
                    }
                }
                row_nonzero += u64::from(v != 0);
            }
            m.nonzero += row_nonzero;
            m.max_row_nonzero = m.max_row_nonzero.max(row_nonzero);
        }
        let bias_nonzero = bias.iter().filter(|&&b| b != 0).count() as u64;
        m.multipliers = mults.len() as u64;
        m.shift_adds = (adds.len() + negs.len()) as u64;
        m.sum_adds = (m.nonzero + bias_nonzero).saturating_sub(rows);
        m
    }
}

/// A K-hot layer as `*_shift_add.h` builds it: every weight is its own constant-shift circuit
/// (the loops over outputs/channels, taps and digits are unrolled), so nothing folds.
#[derive(Clone, Debug, PartialEq)]
pub struct KhotWork {
    pub k: u32,
    /// `Σ max(nnz_CSD(w) - 1, 0)` over the weights: the adders inside the products.
    pub weight_adders: u64,
    /// Non-zero weights: each adds its product into its output's sum (the bias starts it).
    pub product_adders: u64,
    /// Outputs computed in parallel (dense: all `n_out`; conv: the `C_out` of one position).
    pub parallel: u64,
    /// Iterations of the pipelined loop (dense: 1, unrolled; conv: output positions).
    pub iterations: u64,
    /// Most shifted terms summed into one output (the adder tree's depth).
    pub max_row_terms: u64,
    /// The smallest II of the position loop: a conv reads every tap of every input channel of a
    /// position from its unpartitioned input, two per cycle.
    pub min_ii: u64,
}

impl KhotWork {
    fn new(k: u32, weights: &[i64], rows: u64, iterations: u64) -> KhotWork {
        let row_len = (weights.len() as u64).div_ceil(rows.max(1)).max(1) as usize;
        let mut w = KhotWork {
            k,
            weight_adders: 0,
            product_adders: 0,
            parallel: rows,
            iterations,
            max_row_terms: 0,
            min_ii: 1,
        };
        for row in weights.chunks(row_len) {
            let mut terms = 0u64;
            for &v in row {
                let n = u64::from(csd_nonzeros(v));
                w.weight_adders += n.saturating_sub(1);
                w.product_adders += u64::from(n > 0);
                terms += n;
            }
            w.max_row_terms = w.max_row_terms.max(terms);
        }
        w
    }
}

/// A layer that handles one element (or one window) per pipelined iteration.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Stream {
    /// Pipelined loops run one after the other (softmax runs three per position).
    pub loops: u64,
    /// Iterations of each loop.
    pub trips: u64,
    /// Initiation interval (window reads from a dual-port array limit pools).
    pub ii: u64,
    /// Multipliers (operands).
    pub mults: Vec<(Operand, Operand)>,
    /// Multiplies by compile-time constants, built from the constants' bits.
    pub const_mults: Vec<ConstMul>,
    /// Adders and subtractors (bits).
    pub adders: Vec<u32>,
    /// Comparators and 2:1 selects (bits).
    pub compares: Vec<u32>,
    pub roms: Vec<Rom>,
    pub out_bits: u32,
    /// The output stage is a cast that is wiring ([`super::rules::cast_is_wiring`]); otherwise
    /// it costs a LUT per output bit (a rounding or saturating cast, or a select).
    pub out_is_wiring: bool,
}

/// An element-wise multiply by a compile-time constant: a `static const` CONFIG member (a
/// LeakyReLU's or hard sigmoid's `alpha`) or a reciprocal the kernel picks per output position
/// (average pooling's `1/n`). Vitis builds it from the constant's bits, as it does a weight
/// ([`ConstMatrix`]): one digit is wiring, two are an adder, three or more a multiplier.
#[derive(Clone, Debug, PartialEq)]
pub struct ConstMul {
    pub x: Operand,
    pub c: Operand,
    /// The distinct raw constants: one when every element uses the same, else those the
    /// positions use (a loop that is not unrolled multiplies by a variable then).
    pub values: Vec<i64>,
}

impl ConstMul {
    /// Canonical-signed-digit digits of the costliest constant.
    pub fn digits(&self) -> u32 {
        self.values
            .iter()
            .map(|&v| csd_nonzeros(v))
            .max()
            .unwrap_or(0)
    }
}

/// What a layer is, for the cost model.
#[derive(Clone, Debug, PartialEq)]
pub enum Shape {
    Mac(Mac),
    Stream(Stream),
    /// Raw values reinterpreted (Flatten, Reshape, ...): no hardware, the output aliases the input.
    View,
}

/// One layer's work.
#[derive(Clone, Debug, PartialEq)]
pub struct Work {
    pub name: String,
    pub kernel: &'static str,
    pub inputs: Vec<usize>,
    pub output: usize,
    /// Multiplies per sample (MAC products; one per element for element-wise multiplies).
    pub macs: u64,
    pub shape: Shape,
}

/// One activation array of the top function (a graph input or a layer output that is not a
/// view of another tensor).
#[derive(Clone, Debug, PartialEq)]
pub struct Buffer {
    pub tensor: usize,
    pub len: u64,
    pub width: u64,
}

/// The whole model.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelWork {
    pub layers: Vec<Work>,
    /// Per tensor id: the tensor whose array holds it (views resolve to their source).
    pub storage: Vec<usize>,
    pub buffers: Vec<Buffer>,
    /// Words per sample through the `m_axi` ports.
    pub input_words: u64,
    pub output_words: u64,
    /// Words, windows and FIFOs of the stream design ([`super::stream`]).
    pub stream: super::stream_work::StreamWork,
}

impl ModelWork {
    pub fn read(model: &ModelProto) -> Result<ModelWork, EstimateError> {
        let n = model.tensors.len();
        let mut tensors = Vec::with_capacity(n);
        for (id, t) in model.tensors.iter().enumerate() {
            let ty = t.ty.ok_or_else(|| EstimateError::Model {
                layer: String::new(),
                reason: format!("tensor {id} ('{}') has no type", t.name),
            })?;
            let len = t
                .shape
                .iter()
                .try_fold(1u64, |a, &d| a.checked_mul(d))
                .ok_or_else(|| EstimateError::Model {
                    layer: String::new(),
                    reason: format!("tensor '{}' is too large", t.name),
                })?;
            tensors.push((ty, len));
        }
        let tensor = |layer: &str, id: u32| -> Result<(TypeProto, u64), EstimateError> {
            tensors
                .get(id as usize)
                .copied()
                .ok_or_else(|| EstimateError::Model {
                    layer: layer.to_string(),
                    reason: format!("tensor id {id} out of range ({n} tensors)"),
                })
        };
        let mut layers = Vec::with_capacity(model.layers.len());
        let mut storage: Vec<usize> = (0..n).collect();
        for l in &model.layers {
            let kernel = l.kernel.as_ref().ok_or_else(|| EstimateError::Model {
                layer: l.name.clone(),
                reason: "has no kernel".into(),
            })?;
            let inputs = l
                .inputs
                .iter()
                .map(|&i| tensor(&l.name, i))
                .collect::<Result<Vec<_>, _>>()?;
            let (out_ty, out_len) = tensor(&l.name, l.output)?;
            let cx = Cx {
                name: &l.name,
                inputs: &inputs,
                out_ty,
                out_len,
            };
            let (shape, macs) = shape_of(kernel, &cx)?;
            if matches!(shape, Shape::View) {
                if let Some(&src) = l.inputs.first() {
                    storage[l.output as usize] = storage[src as usize];
                }
            }
            layers.push(Work {
                name: l.name.clone(),
                kernel: kernel.stem(),
                inputs: l.inputs.iter().map(|&i| i as usize).collect(),
                output: l.output as usize,
                macs,
                shape,
            });
        }
        let buffers = (0..n)
            .filter(|&id| storage[id] == id)
            .map(|id| Buffer {
                tensor: id,
                len: tensors[id].1,
                width: u64::from(tensors[id].0.width),
            })
            .collect();
        let words = |ids: &[u32]| -> u64 {
            ids.iter()
                .filter_map(|&i| tensors.get(i as usize))
                .map(|t| t.1)
                .sum()
        };
        Ok(ModelWork {
            layers,
            storage,
            buffers,
            input_words: words(&model.inputs),
            output_words: words(&model.outputs),
            stream: super::stream_work::StreamWork::read(model),
        })
    }
}

/// The layer being read.
struct Cx<'a> {
    name: &'a str,
    inputs: &'a [(TypeProto, u64)],
    out_ty: TypeProto,
    out_len: u64,
}

impl Cx<'_> {
    fn err(&self, reason: impl Into<String>) -> EstimateError {
        EstimateError::Model {
            layer: self.name.to_string(),
            reason: reason.into(),
        }
    }
    fn input(&self, k: usize) -> Result<(TypeProto, u64), EstimateError> {
        self.inputs
            .get(k)
            .copied()
            .ok_or_else(|| self.err(format!("has no input {k}")))
    }
    fn ty(&self, what: &str, t: &Option<TypeProto>) -> Result<TypeProto, EstimateError> {
        t.ok_or_else(|| self.err(format!("has no {what} type")))
    }
    fn out_bits(&self) -> u32 {
        self.out_ty.width
    }
    /// An element-wise stream over the output.
    fn stream(&self) -> Stream {
        Stream {
            loops: 1,
            trips: self.out_len,
            ii: 1,
            out_bits: self.out_bits(),
            ..Stream::default()
        }
    }
}

/// The raw reciprocals `1/n` an average pooling multiplies by, one per distinct divisor `n`
/// of its output positions (as `ops::average_pool` counts them).
fn pool_reciprocals(
    w: &binpoint_runtime::model::format::WindowProto,
    include_pad: bool,
    recip: &TypeProto,
) -> Result<Vec<i64>, String> {
    use binpoint_runtime::ops::{average_pool::reciprocal, Window2};
    let u = |v: u64| usize::try_from(v).unwrap_or(usize::MAX);
    let win = Window2::new(
        [u(w.in_h), u(w.in_w)],
        [u(w.kernel_h), u(w.kernel_w)],
        [u(w.stride_h), u(w.stride_w)],
        [u(w.dilation_h), u(w.dilation_w)],
        [u(w.pad_top), u(w.pad_left), u(w.pad_bottom), u(w.pad_right)],
        w.ceil_mode,
    )?;
    let ty = recip.to_fixed().map_err(|e| e.to_string())?;
    let rows = (0..win.out_h).map(|oy| {
        if include_pad {
            win.padded_rows(oy)
        } else {
            win.rows(oy).len()
        }
    });
    let cols: Vec<usize> = (0..win.out_w)
        .map(|ox| {
            if include_pad {
                win.padded_cols(ox)
            } else {
                win.cols(ox).len()
            }
        })
        .collect();
    let mut counts = std::collections::BTreeSet::new();
    for r in rows {
        counts.extend(cols.iter().map(|&c| r * c));
    }
    counts
        .into_iter()
        .filter(|&n| n > 0)
        .map(|n| reciprocal("AveragePool", n, ty).map_err(|e| e.to_string()))
        .collect()
}

fn mac_acc_bits(acc: Option<TypeProto>, x: Operand, w: Operand, fan_in: u64) -> u32 {
    match acc {
        Some(a) => a.width,
        None => x.width + w.width + super::rules::tree_levels(fan_in) as u32 + 1,
    }
}

fn max_terms(weights: &[i64]) -> u32 {
    weights.iter().map(|&v| csd_nonzeros(v)).max().unwrap_or(0)
}

/// The operand type of an element-wise op: its constant's type, or the layer's next data input.
fn operand_ty(
    cx: &Cx<'_>,
    o: &Option<OperandProto>,
    next_input: &mut usize,
) -> Result<TypeProto, EstimateError> {
    let o = o.as_ref().ok_or_else(|| cx.err("has a missing operand"))?;
    match &o.constant {
        Some(c) => cx.ty("constant operand", &c.ty),
        None => {
            let t = cx.input(*next_input)?.0;
            *next_input += 1;
            Ok(t)
        }
    }
}

fn const_rom(o: &Option<OperandProto>) -> Option<Rom> {
    let c = o.as_ref()?.constant.as_ref()?;
    Some(Rom {
        len: c.values.len() as u64,
        width: u64::from(c.ty.map_or(0, |t| t.width)),
    })
}

fn shape_of(kernel: &Kernel, cx: &Cx<'_>) -> Result<(Shape, u64), EstimateError> {
    Ok(match kernel {
        Kernel::Dense(d) => {
            let x = Operand::of(&cx.input(0)?.0);
            let w = Operand::of(&cx.ty("weight", &d.weight_type)?);
            let fan_in = d.n_in.max(1);
            let mac = Mac {
                x,
                w,
                acc_bits: mac_acc_bits(d.accum_type, x, w, fan_in),
                out_bits: cx.out_bits(),
                out_cast_wiring: super::rules::cast_is_wiring(&cx.out_ty),
                fan_in,
                n_out: d.n_out,
                positions: 1,
                conv: false,
                input_words: d.n_in,
                groups: 1,
                constants: ConstMatrix::read(&d.weights, &d.bias, fan_in, d.n_out, d.n_out),
                weights: Rom {
                    len: d.n_in * d.n_out,
                    width: u64::from(w.width),
                },
                bias: Rom {
                    len: d.bias.len() as u64,
                    width: u64::from(d.bias_type.map_or(0, |t| t.width)),
                },
                max_terms: max_terms(&d.weights),
                khot: (d.khot > 0).then(|| KhotWork::new(d.khot, &d.weights, d.n_out, 1)),
            };
            let macs = d.n_in * d.n_out;
            (Shape::Mac(mac), macs)
        }
        Kernel::Conv(c) => {
            let win = c.window.ok_or_else(|| cx.err("has no window"))?;
            let x = Operand::of(&cx.input(0)?.0);
            let w = Operand::of(&cx.ty("weight", &c.weight_type)?);
            let groups = c.groups.max(1);
            let fan_in = (c.in_channels / groups * win.kernel_h * win.kernel_w).max(1);
            let outputs = cx.out_len;
            let khot = (c.khot > 0).then(|| {
                let positions = outputs / c.out_channels.max(1);
                let mut k = KhotWork::new(c.khot, &c.weights, c.out_channels, positions);
                k.min_ii = (c.in_channels * win.kernel_h * win.kernel_w)
                    .div_ceil(super::rules::ARRAY_PORTS)
                    .max(1);
                k
            });
            let mac = Mac {
                x,
                w,
                acc_bits: mac_acc_bits(c.accum_type, x, w, fan_in),
                out_bits: cx.out_bits(),
                out_cast_wiring: super::rules::cast_is_wiring(&cx.out_ty),
                fan_in,
                n_out: c.out_channels.max(1),
                positions: outputs / c.out_channels.max(1),
                conv: true,
                input_words: cx.input(0)?.1,
                groups,
                constants: ConstMatrix::read(
                    &c.weights,
                    &c.bias,
                    fan_in,
                    c.out_channels.max(1),
                    c.out_channels.max(1) / groups,
                ),
                weights: Rom {
                    len: c.weights.len() as u64,
                    width: u64::from(w.width),
                },
                bias: Rom {
                    len: c.bias.len() as u64,
                    width: u64::from(c.bias_type.map_or(0, |t| t.width)),
                },
                max_terms: max_terms(&c.weights),
                khot,
            };
            (Shape::Mac(mac), outputs * fan_in)
        }
        Kernel::MaxPool(p) => {
            let win = p.window.ok_or_else(|| cx.err("has no window"))?;
            let taps = (win.kernel_h * win.kernel_w).max(1);
            let x = cx.input(0)?.0;
            let mut s = cx.stream();
            s.ii = taps.div_ceil(super::rules::ARRAY_PORTS);
            s.compares = vec![x.width; (taps - 1) as usize];
            (Shape::Stream(s), 0)
        }
        Kernel::AveragePool(p) => {
            let win = p.window.ok_or_else(|| cx.err("has no window"))?;
            let taps = (win.kernel_h * win.kernel_w).max(1);
            let acc = cx.ty("accumulator", &p.accum_type)?;
            let mut s = cx.stream();
            s.ii = taps.div_ceil(super::rules::ARRAY_PORTS);
            s.adders = vec![acc.width; (taps - 1) as usize];
            s.out_is_wiring = super::rules::cast_is_wiring(&cx.out_ty);
            let padded =
                win.pad_top + win.pad_left + win.pad_bottom + win.pad_right > 0 || win.ceil_mode;
            let mut macs = 0;
            if padded || !taps.is_power_of_two() {
                let r = cx.ty("reciprocal", &p.recip_type)?;
                let values = pool_reciprocals(&win, p.count_include_pad, &r)
                    .map_err(|e| cx.err(format!("reciprocal: {e}")))?;
                // One divisor, a power of two: the kernel shifts, no multiply.
                if values.len() > 1 || csd_nonzeros(values.first().copied().unwrap_or(0)) > 1 {
                    s.const_mults.push(ConstMul {
                        x: Operand::of(&acc),
                        c: Operand::of(&r),
                        values,
                    });
                    macs = cx.out_len;
                }
            }
            (Shape::Stream(s), macs)
        }
        Kernel::GlobalMaxPool(p) => {
            let x = cx.input(0)?.0;
            // The per-channel loop is not perfectly nested (init and write): one loop each.
            let mut s = cx.stream();
            s.loops = p.channels;
            s.trips = p.size;
            s.compares = vec![x.width];
            (Shape::Stream(s), 0)
        }
        Kernel::GlobalAveragePool(p) => {
            let acc = cx.ty("accumulator", &p.accum_type)?;
            let mut s = cx.stream();
            s.loops = p.channels;
            s.trips = p.size;
            s.adders = vec![acc.width];
            s.out_is_wiring = super::rules::cast_is_wiring(&cx.out_ty);
            let mut macs = 0;
            if !p.size.is_power_of_two() {
                let r = cx.ty("reciprocal", &p.recip_type)?;
                let n = usize::try_from(p.size).unwrap_or(usize::MAX);
                let one_over_n = r
                    .to_fixed()
                    .map_err(|e| e.to_string())
                    .and_then(|t| {
                        binpoint_runtime::ops::average_pool::reciprocal("GlobalAveragePool", n, t)
                            .map_err(|e| e.to_string())
                    })
                    .map_err(|e| cx.err(format!("reciprocal: {e}")))?;
                s.const_mults.push(ConstMul {
                    x: Operand::of(&acc),
                    c: Operand::of(&r),
                    values: vec![one_over_n],
                });
                macs = p.channels;
            }
            (Shape::Stream(s), macs)
        }
        Kernel::Affine(a) => {
            let x = Operand::of(&cx.input(0)?.0);
            let scale = cx.ty("scale", &a.scale_type)?;
            let shift = cx.ty("shift", &a.shift_type)?;
            let mut s = cx.stream();
            s.mults.push((x, Operand::of(&scale)));
            s.adders.push(x.width + scale.width + 1);
            s.roms.push(Rom {
                len: a.scale.len() as u64,
                width: u64::from(scale.width),
            });
            s.roms.push(Rom {
                len: a.shift.len() as u64,
                width: u64::from(shift.width),
            });
            (Shape::Stream(s), cx.out_len)
        }
        Kernel::Binary(b) => {
            let mut next = 0;
            let ta = operand_ty(cx, &b.a, &mut next)?;
            let tb = operand_ty(cx, &b.b, &mut next)?;
            let mut s = cx.stream();
            s.roms.extend(const_rom(&b.a));
            s.roms.extend(const_rom(&b.b));
            let mut macs = 0;
            if b.op == 2 {
                s.mults.push((Operand::of(&ta), Operand::of(&tb)));
                macs = cx.out_len;
            } else {
                s.adders.push(ta.width.max(tb.width) + 1);
            }
            (Shape::Stream(s), macs)
        }
        Kernel::Relu(_) | Kernel::Clip(_) => {
            let x = cx.input(0)?.0;
            let mut s = cx.stream();
            s.compares = vec![
                x.width;
                if matches!(kernel, Kernel::Clip(_)) {
                    2
                } else {
                    1
                }
            ];
            (Shape::Stream(s), 0)
        }
        Kernel::LeakyRelu(r) => {
            let x_ty = cx.input(0)?.0;
            let x = Operand::of(&x_ty);
            let alpha = cx.ty("alpha", &r.alpha_type)?;
            let frac = i64::from(alpha.width) - i64::from(alpha.int_bits);
            let identity = (0..63).contains(&frac) && r.alpha == 1i64 << frac;
            if identity && x_ty == cx.out_ty {
                // alpha = 1 into the same type: `x < 0 ? x : x` is wiring.
                return Ok((Shape::View, 0));
            }
            let mut s = cx.stream();
            if !identity {
                s.const_mults.push(ConstMul {
                    x,
                    c: Operand::of(&alpha),
                    values: vec![r.alpha],
                });
                s.compares.push(x.width);
            }
            (Shape::Stream(s), cx.out_len)
        }
        Kernel::HardSigmoid(h) | Kernel::HardSwish(h) => {
            let x = Operand::of(&cx.input(0)?.0);
            let alpha = cx.ty("alpha", &h.alpha_type)?;
            let t_bits = x.width + alpha.width + 1;
            let mut s = cx.stream();
            s.const_mults.push(ConstMul {
                x,
                c: Operand::of(&alpha),
                values: vec![h.alpha],
            });
            s.adders.push(t_bits);
            s.compares = vec![t_bits; 2];
            let mut macs = cx.out_len;
            if matches!(kernel, Kernel::HardSwish(_)) {
                s.mults.push((
                    x,
                    Operand {
                        width: t_bits,
                        signed: true,
                    },
                ));
                macs *= 2;
            }
            (Shape::Stream(s), macs)
        }
        Kernel::View(_) => (Shape::View, 0),
        Kernel::Cast(_) | Kernel::Transpose(_) | Kernel::Pad(_) | Kernel::Concat(_) => {
            (Shape::Stream(cx.stream()), 0)
        }
        Kernel::Lut(t) => {
            let e = cx.ty("entry", &t.entry_type)?;
            let mut s = cx.stream();
            s.roms.push(Rom {
                len: t.entries.len() as u64,
                width: u64::from(e.width),
            });
            // Index arithmetic: subtract the origin, shift, clamp.
            let i = cx.ty("index", &t.index_type)?;
            s.adders.push(i.width);
            s.compares = vec![i.width; 2];
            (Shape::Stream(s), 0)
        }
        Kernel::Softmax(sm) => {
            let exp = sm.exp.as_ref().ok_or_else(|| cx.err("has no exp table"))?;
            let inv = sm.inv.as_ref().ok_or_else(|| cx.err("has no 1/x table"))?;
            let e = cx.ty("exp entry", &exp.entry_type)?;
            let r = cx.ty("1/x entry", &inv.entry_type)?;
            let sum = cx.ty("sum", &sm.sum_type)?;
            let x = cx.input(0)?.0;
            let positions = sm.outer * sm.inner;
            let s = Stream {
                // max, exp + sum, normalize: three pipelined loops over `len` per position.
                loops: positions * 3,
                trips: sm.len.max(1),
                ii: 1,
                mults: vec![(Operand::of(&e), Operand::of(&r))],
                const_mults: Vec::new(),
                adders: vec![x.width + 1, sum.width],
                compares: vec![x.width],
                roms: vec![
                    Rom {
                        len: exp.entries.len() as u64,
                        width: u64::from(e.width),
                    },
                    Rom {
                        len: inv.entries.len() as u64,
                        width: u64::from(r.width),
                    },
                ],
                out_bits: cx.out_bits(),
                out_is_wiring: false,
            };
            (Shape::Stream(s), positions * sm.len)
        }
    })
}
