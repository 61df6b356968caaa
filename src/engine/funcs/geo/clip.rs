//! Clipping lines by polygons on the sphere: `geo_intersection_line_with_polygon`.
//! Edges are geodesics (great-circle arcs), as in Kusto's S2-based geo functions.

use super::*;

/// `geo_intersection_line_with_polygon(line, polygon)`: the parts of the line
/// (LineString or MultiLineString) inside the polygon (Polygon or MultiPolygon), in the
/// line's direction: a LineString for one part, a MultiLineString for several, an empty
/// GeometryCollection for none; null for an invalid line or polygon
/// (geo-intersection-line-with-polygon-function.md). Parts are cut where the line
/// crosses an edge of the polygon (a shell or a hole); a part is kept when its middle
/// is inside.
pub(super) fn intersection_line_with_polygon(args: &[Value]) -> Value {
    let (Some(ls), Some(ps)) = (
        lines(&arg0(args)),
        polygons(&args.get(1).cloned().unwrap_or(Value::Null)),
    ) else {
        return Value::Null;
    };
    let edges: Vec<(V3, V3)> = ps
        .iter()
        .flatten()
        .flat_map(|r| r.windows(2).map(|w| (w[0].v3(), w[1].v3())))
        .collect();
    let inside = |p: Ll| ps.iter().any(|poly| poly_contains(poly, p));
    let mut parts: Vec<Vec<Ll>> = Vec::new();
    for l in &ls {
        let mut cur: Vec<Ll> = Vec::new();
        for w in l.windows(2) {
            let (a, b) = (w[0], w[1]);
            let (av, bv) = (a.v3(), b.v3());
            let total = angle(av, bv);
            let mut cuts: Vec<(f64, Ll)> = vec![(0.0, a)];
            if total > 0.0 {
                for &(c, d) in &edges {
                    if let Some(x) = segment_intersection(av, bv, c, d) {
                        let t = angle(av, x) / total;
                        if t > 1e-12 && t < 1.0 - 1e-12 {
                            cuts.push((t, Ll::from_v3(x)));
                        }
                    }
                }
            }
            cuts.push((1.0, b));
            cuts.sort_by(|x, y| x.0.total_cmp(&y.0));
            cuts.dedup_by(|x, y| (x.0 - y.0).abs() < 1e-12);
            for pair in cuts.windows(2) {
                let ((t0, p0), (t1, p1)) = (pair[0], pair[1]);
                let mid = Ll::from_v3(slerp(av, bv, (t0 + t1) / 2.0));
                if inside(mid) {
                    if cur.last() != Some(&p0) {
                        if !cur.is_empty() {
                            parts.push(std::mem::take(&mut cur));
                        }
                        cur.push(p0);
                    }
                    cur.push(p1);
                } else if !cur.is_empty() {
                    parts.push(std::mem::take(&mut cur));
                }
            }
        }
        if !cur.is_empty() {
            parts.push(cur);
        }
    }
    let json = match parts.as_slice() {
        [] => json!({"type": "GeometryCollection", "geometries": []}),
        [one] => json!({"type": "LineString", "coordinates": ring_json(one)}),
        many => json!({
            "type": "MultiLineString",
            "coordinates": many.iter().map(|p| ring_json(p)).collect::<Vec<_>>(),
        }),
    };
    Value::dynamic(json)
}

/// Most vertices `geo_point_buffer` gives a circle.
const BUFFER_MAX_VERTICES: f64 = 65_536.0;

/// `geo_point_buffer(longitude, latitude, radius [, tolerance])`: a polygon holding
/// every point within `radius` meters of the point: a regular polygon circumscribing
/// the circle, with as few vertices as keep its corners within `tolerance` meters
/// (default 0.1) of the circle (counterclockwise, vertices at geodesic distance
/// `radius / cos(pi / n)`). Null for a radius that is not positive or a tolerance that
/// is not positive.
pub(super) fn point_buffer(args: &[Value]) -> Value {
    let (Some(c), Some(r)) = (ll_arg(args, 0), real(args, 2)) else {
        return Value::Null;
    };
    let tol = if args.len() > 3 {
        match real(args, 3) {
            Some(t) => t,
            None => return Value::Null,
        }
    } else {
        0.1
    };
    if !(r > 0.0 && r.is_finite() && tol > 0.0 && tol.is_finite()) {
        return Value::Null;
    }
    let n = (std::f64::consts::PI / (r / (r + tol)).acos())
        .ceil()
        .clamp(8.0, BUFFER_MAX_VERTICES);
    let reach = r / (std::f64::consts::PI / n).cos() / EARTH_RADIUS_M;
    if reach >= std::f64::consts::FRAC_PI_2 {
        return Value::Null;
    }
    let p = c.v3();
    // East and north unit vectors at the center.
    let (lng, lat) = (c.lng.to_radians(), c.lat.to_radians());
    let east: V3 = [-lng.sin(), lng.cos(), 0.0];
    let north: V3 = [-lat.sin() * lng.cos(), -lat.sin() * lng.sin(), lat.cos()];
    let n = n as usize;
    let mut ring: Vec<Ll> = (0..n)
        .map(|k| {
            let th = 2.0 * std::f64::consts::PI * k as f64 / n as f64;
            let dir = add(scale(east, th.cos()), scale(north, th.sin()));
            Ll::from_v3(add(scale(p, reach.cos()), scale(dir, reach.sin())))
        })
        .collect();
    ring.push(ring[0]);
    polygon_json(&ring)
}
