use super::{Fixed, FixedType};

pub(super) fn convert(x: f64, ty: FixedType) -> Fixed {
    let _ = (x, ty);
    todo!()
}
