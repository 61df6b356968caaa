//! Geospatial functions (`geo_*`), as Kusto documents them: coordinates are WGS-84
//! longitude and latitude in degrees, the Earth is a sphere of radius 6,371.01 km
//! (S2's `S2Earth`, which reproduces the documented distances), and lines and polygon
//! edges are geodesics (great-circle arcs). Grid systems come from well-kept crates:
//! S2 cells from `s2`, H3 cells from `h3o`; geohash is the public-domain algorithm.
//! Invalid input (a coordinate out of range, a malformed shape or cell token) gives
//! null, as documented.

use std::str::FromStr;

use serde_json::json;

use super::{long, real};
use crate::engine::Result;
use crate::engine::value::{Json, Value};

/// Earth's radius in meters (S2Earth::RadiusMeters).
pub const EARTH_RADIUS_M: f64 = 6_371_010.0;

mod clip;

pub fn call(name: &str, args: &[Value]) -> Option<Result<Value>> {
    let v = match name {
        "geo_distance_2points" => distance_2points(args),
        "geo_point_in_circle" => point_in_circle(args),
        "geo_azimuth" => azimuth(args),
        "geo_point_to_geohash" => point_to_geohash(args),
        "geo_geohash_to_central_point" => geohash_center(args),
        "geo_geohash_to_polygon" => geohash_polygon(args),
        "geo_geohash_neighbors" => geohash_neighbors(args),
        "geo_point_to_s2cell" => point_to_s2cell(args),
        "geo_s2cell_to_central_point" => s2cell_center(args),
        "geo_s2cell_to_polygon" => s2cell_polygon(args),
        "geo_s2cell_neighbors" => s2cell_neighbors(args),
        "geo_point_to_h3cell" => point_to_h3cell(args),
        "geo_h3cell_to_central_point" => h3cell_center(args),
        "geo_h3cell_to_polygon" => h3cell_polygon(args),
        "geo_h3cell_level" => h3cell_level(args),
        "geo_h3cell_parent" => h3cell_parent(args),
        "geo_h3cell_children" => h3cell_children(args),
        "geo_h3cell_neighbors" => h3cell_neighbors(args),
        "geo_h3cell_rings" => h3cell_rings(args),
        "geo_from_wkt" => from_wkt(args),
        "geo_line_length" => line_length(args),
        "geo_line_centroid" => line_centroid(args),
        "geo_line_interpolate_point" => line_interpolate_point(args),
        "geo_distance_point_to_line" => distance_point_to_line(args),
        "geo_closest_point_on_line" => closest_point_on_line(args),
        "geo_polygon_perimeter" => polygon_perimeter(args),
        "geo_polygon_area" => polygon_area(args),
        "geo_polygon_centroid" => polygon_centroid(args),
        "geo_polygon_densify" => polygon_densify(args),
        "geo_point_in_polygon" => point_in_polygon(args),
        "geo_closest_point_on_polygon" => closest_point_on_polygon(args),
        "geo_distance_point_to_polygon" => distance_point_to_polygon(args),
        "geo_intersects_2lines" => intersects_2lines(args),
        "geo_intersects_line_with_polygon" => intersects_line_with_polygon(args),
        "geo_intersects_2polygons" => intersects_2polygons(args),
        "geo_intersection_2lines" => intersection_2lines(args),
        "geo_polygon_to_s2cells" => polygon_to_s2cells(args),
        "geo_polygon_to_h3cells" => polygon_to_h3cells(args),
        "geo_intersection_line_with_polygon" => clip::intersection_line_with_polygon(args),
        "geo_point_buffer" => clip::point_buffer(args),
        _ => return None,
    };
    Some(Ok(v))
}

// --- Points and vectors --------------------------------------------------------------

type V3 = [f64; 3];

fn add(a: V3, b: V3) -> V3 {
    [a[0] + b[0], a[1] + b[1], a[2] + b[2]]
}
fn sub(a: V3, b: V3) -> V3 {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}
fn scale(a: V3, k: f64) -> V3 {
    [a[0] * k, a[1] * k, a[2] * k]
}
fn dot(a: V3, b: V3) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}
fn cross(a: V3, b: V3) -> V3 {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}
fn norm(a: V3) -> f64 {
    dot(a, a).sqrt()
}
fn normalize(a: V3) -> V3 {
    let n = norm(a);
    if n == 0.0 { a } else { scale(a, 1.0 / n) }
}
/// The angle between two unit vectors, in radians (stable for small angles).
fn angle(a: V3, b: V3) -> f64 {
    norm(cross(a, b)).atan2(dot(a, b))
}

/// A validated (longitude, latitude) in degrees.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Ll {
    lng: f64,
    lat: f64,
}

impl Ll {
    fn new(lng: f64, lat: f64) -> Option<Ll> {
        ((-180.0..=180.0).contains(&lng) && (-90.0..=90.0).contains(&lat))
            .then_some(Ll { lng, lat })
    }
    fn v3(self) -> V3 {
        let (la, lo) = (self.lat.to_radians(), self.lng.to_radians());
        [la.cos() * lo.cos(), la.cos() * lo.sin(), la.sin()]
    }
    fn from_v3(v: V3) -> Ll {
        let lat = v[2].atan2((v[0] * v[0] + v[1] * v[1]).sqrt()).to_degrees();
        let lng = v[1].atan2(v[0]).to_degrees();
        Ll { lng, lat }
    }
    fn json(self) -> Json {
        json!([self.lng, self.lat])
    }
}

fn point_json(p: Ll) -> Value {
    Value::dynamic(json!({"type": "Point", "coordinates": p.json()}))
}

fn ring_json(ring: &[Ll]) -> Json {
    Json::Array(ring.iter().map(|p| p.json()).collect())
}

fn polygon_json(ring: &[Ll]) -> Value {
    Value::dynamic(json!({"type": "Polygon", "coordinates": [ring_json(ring)]}))
}

/// Longitude and latitude from arguments `i` and `i + 1`.
fn ll_arg(args: &[Value], i: usize) -> Option<Ll> {
    Ll::new(real(args, i)?, real(args, i + 1)?)
}

fn meters(rad: f64) -> f64 {
    rad * EARTH_RADIUS_M
}

fn distance_2points(args: &[Value]) -> Value {
    match (ll_arg(args, 0), ll_arg(args, 2)) {
        (Some(a), Some(b)) => Value::Real(meters(angle(a.v3(), b.v3()))),
        _ => Value::Null,
    }
}

fn point_in_circle(args: &[Value]) -> Value {
    match (ll_arg(args, 0), ll_arg(args, 2), real(args, 4)) {
        (Some(p), Some(c), Some(r)) if r >= 0.0 => Value::Bool(meters(angle(p.v3(), c.v3())) <= r),
        _ => Value::Null,
    }
}

/// The initial bearing from the first point to the second, radians clockwise from
/// north in [0, 2π); null for equal points.
fn azimuth(args: &[Value]) -> Value {
    let (Some(a), Some(b)) = (ll_arg(args, 0), ll_arg(args, 2)) else {
        return Value::Null;
    };
    if a == b {
        return Value::Null;
    }
    let (p1, p2) = (a.lat.to_radians(), b.lat.to_radians());
    let dl = (b.lng - a.lng).to_radians();
    let y = dl.sin() * p2.cos();
    let x = p1.cos() * p2.sin() - p1.sin() * p2.cos() * dl.cos();
    let t = y.atan2(x);
    Value::Real(if t < 0.0 {
        t + std::f64::consts::TAU
    } else {
        t
    })
}

// --- Geohash -------------------------------------------------------------------------

const GEOHASH: &[u8; 32] = b"0123456789bcdefghjkmnpqrstuvwxyz";

fn point_to_geohash(args: &[Value]) -> Value {
    let Some(p) = ll_arg(args, 0) else {
        return Value::str("");
    };
    let len = if args.len() > 2 {
        long(args, 2)
    } else {
        Some(5)
    };
    match len {
        Some(n @ 1..=18) => Value::str(geohash_encode(p, n as usize)),
        _ => Value::str(""),
    }
}

fn geohash_encode(p: Ll, len: usize) -> String {
    let (mut lng, mut lat) = ((-180.0f64, 180.0f64), (-90.0f64, 90.0f64));
    let mut out = String::with_capacity(len);
    let mut even = true;
    let (mut bits, mut ch) = (0, 0usize);
    while out.len() < len {
        let (range, x) = if even {
            (&mut lng, p.lng)
        } else {
            (&mut lat, p.lat)
        };
        let mid = (range.0 + range.1) / 2.0;
        ch <<= 1;
        if x >= mid {
            ch |= 1;
            range.0 = mid;
        } else {
            range.1 = mid;
        }
        even = !even;
        bits += 1;
        if bits == 5 {
            out.push(GEOHASH[ch] as char);
            bits = 0;
            ch = 0;
        }
    }
    out
}

/// The cell's bounds: ((west, east), (south, north)).
fn geohash_decode(s: &str) -> Option<((f64, f64), (f64, f64))> {
    if s.is_empty() || s.len() > 18 {
        return None;
    }
    let (mut lng, mut lat) = ((-180.0f64, 180.0f64), (-90.0f64, 90.0f64));
    let mut even = true;
    for c in s.bytes() {
        let d = GEOHASH.iter().position(|&g| g == c.to_ascii_lowercase())?;
        for b in (0..5).rev() {
            let range = if even { &mut lng } else { &mut lat };
            let mid = (range.0 + range.1) / 2.0;
            if d >> b & 1 == 1 {
                range.0 = mid;
            } else {
                range.1 = mid;
            }
            even = !even;
        }
    }
    Some((lng, lat))
}

fn geohash_center(args: &[Value]) -> Value {
    match geohash_decode(&super::s(args, 0)) {
        Some((x, y)) => point_json(Ll {
            lng: (x.0 + x.1) / 2.0,
            lat: (y.0 + y.1) / 2.0,
        }),
        None => Value::Null,
    }
}

fn rect_ring(x: (f64, f64), y: (f64, f64)) -> Vec<Ll> {
    let p = |lng, lat| Ll { lng, lat };
    vec![
        p(x.0, y.0),
        p(x.1, y.0),
        p(x.1, y.1),
        p(x.0, y.1),
        p(x.0, y.0),
    ]
}

fn geohash_polygon(args: &[Value]) -> Value {
    match geohash_decode(&super::s(args, 0)) {
        Some((x, y)) => polygon_json(&rect_ring(x, y)),
        None => Value::Null,
    }
}

/// The eight neighbors in the order Kusto documents (for `sunny`): SW, NW, SE, N, W,
/// NE, E, S; cells beyond a pole are left out.
fn geohash_neighbors(args: &[Value]) -> Value {
    let s = super::s(args, 0);
    let Some((x, y)) = geohash_decode(&s) else {
        return Value::Null;
    };
    let (w, h) = (x.1 - x.0, y.1 - y.0);
    let (cx, cy) = ((x.0 + x.1) / 2.0, (y.0 + y.1) / 2.0);
    let mut out = Vec::new();
    for (dx, dy) in GEOHASH_DIRS {
        let lat = cy + dy * h;
        if !(-90.0..=90.0).contains(&lat) {
            continue;
        }
        let mut lng = cx + dx * w;
        if lng > 180.0 {
            lng -= 360.0;
        } else if lng < -180.0 {
            lng += 360.0;
        }
        out.push(Json::String(geohash_encode(Ll { lng, lat }, s.len())));
    }
    Value::dynamic(Json::Array(out))
}

const GEOHASH_DIRS: [(f64, f64); 8] = [
    (-1.0, -1.0),
    (-1.0, 1.0),
    (1.0, -1.0),
    (0.0, 1.0),
    (-1.0, 0.0),
    (1.0, 1.0),
    (1.0, 0.0),
    (0.0, -1.0),
];

// --- S2 ------------------------------------------------------------------------------

fn s2_token(args: &[Value], i: usize) -> Option<s2::cellid::CellID> {
    let t = super::s(args, i);
    if t.is_empty() || t.len() > 16 || !t.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let id = s2::cellid::CellID::from_token(&t);
    id.is_valid().then_some(id)
}

fn point_to_s2cell(args: &[Value]) -> Value {
    let Some(p) = ll_arg(args, 0) else {
        return Value::str("");
    };
    let level = if args.len() > 2 {
        long(args, 2)
    } else {
        Some(11)
    };
    match level {
        Some(l @ 0..=30) => {
            let id = s2::cellid::CellID::from(s2::latlng::LatLng::from_degrees(p.lat, p.lng));
            Value::str(id.parent(l as u64).to_token())
        }
        _ => Value::str(""),
    }
}

fn s2_ll(p: &s2::point::Point) -> Ll {
    Ll::from_v3([p.0.x, p.0.y, p.0.z])
}

fn s2cell_center(args: &[Value]) -> Value {
    match s2_token(args, 0) {
        Some(id) => point_json(s2_ll(&s2::point::Point::from(id))),
        None => Value::Null,
    }
}

fn s2cell_polygon(args: &[Value]) -> Value {
    match s2_token(args, 0) {
        Some(id) => {
            let cell = s2::cell::Cell::from(id);
            let mut ring: Vec<Ll> = cell.vertices().iter().map(s2_ll).collect();
            ring.push(ring[0]);
            polygon_json(&ring)
        }
        None => Value::Null,
    }
}

/// The neighbors at the cell's level. S2's `AllNeighbors` yields them as bottom-left,
/// bottom-right, bottom, top, left, right, top-left, top-right; Kusto's documented
/// order (for `89c259`) is a fixed permutation of that, applied here.
fn s2cell_neighbors(args: &[Value]) -> Value {
    match s2_token(args, 0) {
        Some(id) => {
            let all = id.all_neighbors(id.level());
            let out: Vec<Json> = if all.len() == 8 {
                [7, 0, 1, 2, 3, 5, 4, 6]
                    .iter()
                    .map(|&k| Json::String(all[k].to_token()))
                    .collect()
            } else {
                all.iter().map(|n| Json::String(n.to_token())).collect()
            };
            Value::dynamic(Json::Array(out))
        }
        None => Value::Null,
    }
}

// --- H3 ------------------------------------------------------------------------------

fn h3_cell(args: &[Value], i: usize) -> Option<h3o::CellIndex> {
    h3o::CellIndex::from_str(&super::s(args, i)).ok()
}

fn h3_res(n: Option<i64>) -> Option<h3o::Resolution> {
    h3o::Resolution::try_from(u8::try_from(n?).ok()?).ok()
}

fn h3_str(c: h3o::CellIndex) -> Json {
    Json::String(format!("{c:x}"))
}

fn point_to_h3cell(args: &[Value]) -> Value {
    let res = if args.len() > 2 {
        long(args, 2)
    } else {
        Some(6)
    };
    match (ll_arg(args, 0), h3_res(res)) {
        (Some(p), Some(r)) => match h3o::LatLng::new(p.lat, p.lng) {
            Ok(ll) => Value::str(format!("{:x}", ll.to_cell(r))),
            Err(_) => Value::str(""),
        },
        _ => Value::str(""),
    }
}

fn h3_ll(ll: h3o::LatLng) -> Ll {
    Ll {
        lng: ll.lng(),
        lat: ll.lat(),
    }
}

fn h3cell_center(args: &[Value]) -> Value {
    match h3_cell(args, 0) {
        Some(c) => point_json(h3_ll(h3o::LatLng::from(c))),
        None => Value::Null,
    }
}

fn h3cell_polygon(args: &[Value]) -> Value {
    match h3_cell(args, 0) {
        Some(c) => {
            let mut ring: Vec<Ll> = c.boundary().iter().map(|ll| h3_ll(*ll)).collect();
            if let Some(&first) = ring.first() {
                ring.push(first);
            }
            polygon_json(&ring)
        }
        None => Value::Null,
    }
}

fn h3cell_level(args: &[Value]) -> Value {
    match h3_cell(args, 0) {
        Some(c) => Value::Int(u8::from(c.resolution()) as i32),
        None => Value::Null,
    }
}

fn h3cell_parent(args: &[Value]) -> Value {
    let Some(c) = h3_cell(args, 0) else {
        return Value::str("");
    };
    let level = u8::from(c.resolution()) as i64;
    let res = if args.len() > 1 {
        long(args, 1)
    } else {
        Some(level - 1)
    };
    match h3_res(res).and_then(|r| c.parent(r)) {
        Some(p) => Value::str(format!("{p:x}")),
        None => Value::str(""),
    }
}

/// At most this many children (Kusto refuses larger expansions with null).
const H3_MAX_CHILDREN: u64 = 10_000;

fn h3cell_children(args: &[Value]) -> Value {
    let Some(c) = h3_cell(args, 0) else {
        return Value::Null;
    };
    let level = u8::from(c.resolution()) as i64;
    let res = if args.len() > 1 {
        long(args, 1)
    } else {
        Some(level + 1)
    };
    match h3_res(res) {
        Some(r) if (r as u8 as i64) >= level && c.children_count(r) <= H3_MAX_CHILDREN => {
            Value::dynamic(Json::Array(c.children(r).map(h3_str).collect()))
        }
        _ => Value::Null,
    }
}

/// The cells at grid distance 1, in H3's `gridDisk` order (as Kusto documents it).
fn h3cell_neighbors(args: &[Value]) -> Value {
    match h3_cell(args, 0) {
        Some(c) => {
            let disk: Vec<h3o::CellIndex> = c.grid_disk(1);
            let out = disk.into_iter().filter(|n| *n != c).map(h3_str).collect();
            Value::dynamic(Json::Array(out))
        }
        None => Value::Null,
    }
}

/// `geo_h3cell_rings(cell, distance)`: the rings 0..=distance around the cell.
fn h3cell_rings(args: &[Value]) -> Value {
    let (Some(c), Some(k)) = (h3_cell(args, 0), long(args, 1)) else {
        return Value::Null;
    };
    if !(0..=142).contains(&k) {
        return Value::Null;
    }
    let mut rings: Vec<Vec<Json>> = vec![Vec::new(); k as usize + 1];
    for (cell, d) in c.grid_disk_distances_safe(k as u32) {
        rings[d as usize].push(h3_str(cell));
    }
    Value::dynamic(Json::Array(rings.into_iter().map(Json::Array).collect()))
}

// --- GeoJSON shapes --------------------------------------------------------------------

fn coord(j: &Json) -> Option<Ll> {
    let a = j.as_array()?;
    if a.len() < 2 {
        return None;
    }
    Ll::new(a[0].as_f64()?, a[1].as_f64()?)
}

fn coords(j: &Json) -> Option<Vec<Ll>> {
    j.as_array()?.iter().map(coord).collect()
}

/// The lines of a LineString or MultiLineString (each with at least two points).
fn lines(v: &Value) -> Option<Vec<Vec<Ll>>> {
    let j = v.as_json()?;
    let c = j.get("coordinates")?;
    let out = match j.get("type")?.as_str()? {
        "LineString" => vec![coords(c)?],
        "MultiLineString" => c.as_array()?.iter().map(coords).collect::<Option<_>>()?,
        _ => return None,
    };
    (!out.is_empty() && out.iter().all(|l| l.len() >= 2)).then_some(out)
}

/// A polygon: its rings (the first is the shell, the rest holes), each closed.
type Poly = Vec<Vec<Ll>>;

fn rings(j: &Json) -> Option<Poly> {
    let rs: Poly = j.as_array()?.iter().map(coords).collect::<Option<_>>()?;
    let ok = !rs.is_empty()
        && rs.iter().all(|r| {
            r.len() >= 4 && r.first() == r.last() && {
                let mut distinct: Vec<(u64, u64)> = r
                    .iter()
                    .map(|p| (p.lng.to_bits(), p.lat.to_bits()))
                    .collect();
                distinct.sort_unstable();
                distinct.dedup();
                distinct.len() >= 3
            }
        });
    ok.then_some(rs)
}

/// The polygons of a Polygon or MultiPolygon.
fn polygons(v: &Value) -> Option<Vec<Poly>> {
    let j = v.as_json()?;
    let c = j.get("coordinates")?;
    let out: Vec<Poly> = match j.get("type")?.as_str()? {
        "Polygon" => vec![rings(c)?],
        "MultiPolygon" => c.as_array()?.iter().map(rings).collect::<Option<_>>()?,
        _ => return None,
    };
    (!out.is_empty()).then_some(out)
}

fn line_len(l: &[Ll]) -> f64 {
    l.windows(2).map(|w| angle(w[0].v3(), w[1].v3())).sum()
}

fn line_length(args: &[Value]) -> Value {
    match lines(&args.first().cloned().unwrap_or(Value::Null)) {
        Some(ls) => Value::Real(meters(ls.iter().map(|l| line_len(l)).sum())),
        None => Value::Null,
    }
}

fn polygon_perimeter(args: &[Value]) -> Value {
    match polygons(&arg0(args)) {
        Some(ps) => Value::Real(meters(
            ps.iter().flatten().map(|r| line_len(r)).sum::<f64>(),
        )),
        None => Value::Null,
    }
}

fn arg0(args: &[Value]) -> Value {
    args.first().cloned().unwrap_or(Value::Null)
}

/// The centroid of a set of edges, each weighted by its length.
fn edges_centroid(ls: &[Vec<Ll>]) -> Option<Ll> {
    let mut c = [0.0; 3];
    for l in ls {
        for w in l.windows(2) {
            let (a, b) = (w[0].v3(), w[1].v3());
            c = add(c, scale(normalize(add(a, b)), angle(a, b)));
        }
    }
    (norm(c) > 0.0).then(|| Ll::from_v3(c))
}

fn line_centroid(args: &[Value]) -> Value {
    match lines(&arg0(args)).and_then(|ls| edges_centroid(&ls)) {
        Some(p) => point_json(p),
        None => Value::Null,
    }
}

/// Signed area of the spherical triangle (a, b, c) (Girard via l'Huilier-free formula:
/// the solid angle of the three unit vectors).
fn tri_area(a: V3, b: V3, c: V3) -> f64 {
    let num = dot(a, cross(b, c));
    let den = 1.0 + dot(a, b) + dot(b, c) + dot(c, a);
    2.0 * num.atan2(den)
}

/// Area (steradians, positive for a counter-clockwise shell) and centroid (scaled by
/// area) of one ring, summed over the fan from its first vertex.
fn ring_area_centroid(r: &[Ll]) -> (f64, V3) {
    let v: Vec<V3> = r.iter().map(|p| p.v3()).collect();
    let (mut area, mut c) = (0.0, [0.0; 3]);
    for i in 1..v.len().saturating_sub(2) {
        let (a, b, d) = (v[0], v[i], v[i + 1]);
        let t = tri_area(a, b, d);
        area += t;
        c = add(c, scale(normalize(add(add(a, b), d)), t));
    }
    (area, c)
}

/// The shell is taken as the smaller of the two regions its ring bounds; holes
/// subtract.
fn poly_area_centroid(p: &Poly) -> (f64, V3) {
    let (mut area, mut c) = (0.0, [0.0; 3]);
    for (i, r) in p.iter().enumerate() {
        let (a, rc) = ring_area_centroid(r);
        let sign = if (a >= 0.0) == (i == 0) { 1.0 } else { -1.0 };
        area += sign * a;
        c = add(c, scale(rc, sign));
    }
    (area.abs(), if area < 0.0 { scale(c, -1.0) } else { c })
}

fn polygon_centroid(args: &[Value]) -> Value {
    let Some(ps) = polygons(&arg0(args)) else {
        return Value::Null;
    };
    let mut c = [0.0; 3];
    for p in &ps {
        c = add(c, poly_area_centroid(p).1);
    }
    if norm(c) == 0.0 {
        return Value::Null;
    }
    point_json(Ll::from_v3(c))
}

fn polygon_area(args: &[Value]) -> Value {
    match polygons(&arg0(args)) {
        Some(ps) => {
            let a: f64 = ps.iter().map(|p| poly_area_centroid(p).0).sum();
            Value::Real(a * EARTH_RADIUS_M * EARTH_RADIUS_M)
        }
        None => Value::Null,
    }
}

/// The point at `t` (0..1) of the geodesic from `a` to `b`.
fn slerp(a: V3, b: V3, t: f64) -> V3 {
    let th = angle(a, b);
    if th == 0.0 {
        return a;
    }
    let s = th.sin();
    normalize(add(
        scale(a, ((1.0 - t) * th).sin() / s),
        scale(b, (t * th).sin() / s),
    ))
}

fn line_interpolate_point(args: &[Value]) -> Value {
    let (Some(ls), Some(f)) = (lines(&arg0(args)), real(args, 1)) else {
        return Value::Null;
    };
    if ls.len() != 1 || !(0.0..=1.0).contains(&f) {
        return Value::Null;
    }
    let l = &ls[0];
    let total = line_len(l);
    let mut target = f * total;
    for w in l.windows(2) {
        let (a, b) = (w[0].v3(), w[1].v3());
        let seg = angle(a, b);
        if target <= seg && seg > 0.0 {
            return point_json(Ll::from_v3(slerp(a, b, target / seg)));
        }
        target -= seg;
    }
    point_json(*l.last().unwrap_or(&l[0]))
}

/// The point of the geodesic segment a-b closest to p.
fn closest_on_segment(p: V3, a: V3, b: V3) -> V3 {
    let n = cross(a, b);
    if norm(n) < 1e-300 {
        return if angle(p, a) <= angle(p, b) { a } else { b };
    }
    let n = normalize(n);
    // Project p onto the great circle, then check it lies between a and b.
    let q = sub(p, scale(n, dot(p, n)));
    if norm(q) > 0.0 {
        let q = normalize(q);
        if dot(cross(a, q), n) >= 0.0 && dot(cross(q, b), n) >= 0.0 {
            return q;
        }
    }
    if angle(p, a) <= angle(p, b) { a } else { b }
}

fn closest_on_lines(p: Ll, ls: &[Vec<Ll>]) -> Option<(f64, V3)> {
    let pv = p.v3();
    let mut best: Option<(f64, V3)> = None;
    for l in ls {
        for w in l.windows(2) {
            let q = closest_on_segment(pv, w[0].v3(), w[1].v3());
            let d = angle(pv, q);
            if best.is_none_or(|(bd, _)| d < bd) {
                best = Some((d, q));
            }
        }
    }
    best
}

fn distance_point_to_line(args: &[Value]) -> Value {
    match (ll_arg(args, 0), lines(args.get(2).unwrap_or(&Value::Null))) {
        (Some(p), Some(ls)) => {
            closest_on_lines(p, &ls).map_or(Value::Null, |(d, _)| Value::Real(meters(d)))
        }
        _ => Value::Null,
    }
}

fn closest_point_on_line(args: &[Value]) -> Value {
    match (ll_arg(args, 0), lines(args.get(2).unwrap_or(&Value::Null))) {
        (Some(p), Some(ls)) => {
            closest_on_lines(p, &ls).map_or(Value::Null, |(_, q)| point_json(Ll::from_v3(q)))
        }
        _ => Value::Null,
    }
}

/// Whether `p` lies in the ring (geodesic edges): the winding number, summing the
/// angle each edge subtends at `p` in its tangent plane (±2π inside, 0 outside; the
/// inside is the region not containing `p`'s antipode side of the ring).
fn ring_contains(r: &[Ll], p: Ll) -> bool {
    let v: Vec<V3> = r.iter().map(|q| q.v3()).collect();
    ring_contains_v(&v, p.v3())
}

fn ring_contains_v(r: &[V3], p: V3) -> bool {
    let mut sum = 0.0;
    for w in r.windows(2) {
        let (a, b) = (w[0], w[1]);
        let y = dot(p, cross(a, b));
        let x = dot(a, b) - dot(p, a) * dot(p, b);
        sum += y.atan2(x);
    }
    sum.abs() > std::f64::consts::PI
}

fn poly_contains(p: &Poly, q: Ll) -> bool {
    ring_contains(&p[0], q) && !p[1..].iter().any(|h| ring_contains(h, q))
}

fn point_in_polygon(args: &[Value]) -> Value {
    match (
        ll_arg(args, 0),
        polygons(args.get(2).unwrap_or(&Value::Null)),
    ) {
        (Some(q), Some(ps)) => Value::Bool(ps.iter().any(|p| poly_contains(p, q))),
        _ => Value::Null,
    }
}

fn closest_point_on_polygon(args: &[Value]) -> Value {
    match (
        ll_arg(args, 0),
        polygons(args.get(2).unwrap_or(&Value::Null)),
    ) {
        (Some(q), Some(ps)) => {
            if ps.iter().any(|p| poly_contains(p, q)) {
                return point_json(q);
            }
            let rs: Vec<Vec<Ll>> = ps.into_iter().flatten().collect();
            closest_on_lines(q, &rs).map_or(Value::Null, |(_, v)| point_json(Ll::from_v3(v)))
        }
        _ => Value::Null,
    }
}

fn distance_point_to_polygon(args: &[Value]) -> Value {
    match (
        ll_arg(args, 0),
        polygons(args.get(2).unwrap_or(&Value::Null)),
    ) {
        (Some(q), Some(ps)) => {
            if ps.iter().any(|p| poly_contains(p, q)) {
                return Value::Real(0.0);
            }
            let rs: Vec<Vec<Ll>> = ps.into_iter().flatten().collect();
            closest_on_lines(q, &rs).map_or(Value::Null, |(d, _)| Value::Real(meters(d)))
        }
        _ => Value::Null,
    }
}

/// `geo_polygon_densify(polygon, tolerance = 10, preserve_crossing = false)`: edges
/// given as straight lines in longitude/latitude are split at their planar midpoints
/// until each piece's geodesic stays within `tolerance` meters of the planar line.
fn polygon_densify(args: &[Value]) -> Value {
    let v = arg0(args);
    let tol = if args.len() > 1 {
        real(args, 1)
    } else {
        Some(10.0)
    };
    let (Some(ps), Some(tol)) = (polygons(&v), tol) else {
        return Value::Null;
    };
    if !(0.1..=10_000.0).contains(&tol) {
        return Value::Null;
    }
    let dens = |r: &Vec<Ll>| -> Json {
        let mut out = vec![r[0]];
        for w in r.windows(2) {
            densify_edge(w[0], w[1], tol, 0, &mut out);
        }
        ring_json(&out)
    };
    let poly = |p: &Poly| Json::Array(p.iter().map(dens).collect());
    let j = v.as_json().cloned().unwrap_or(Json::Null);
    let out = match j.get("type").and_then(Json::as_str) {
        Some("Polygon") => json!({"type": "Polygon", "coordinates": poly(&ps[0])}),
        _ => {
            json!({"type": "MultiPolygon", "coordinates": ps.iter().map(poly).collect::<Vec<_>>()})
        }
    };
    Value::dynamic(out)
}

fn densify_edge(a: Ll, b: Ll, tol: f64, depth: u32, out: &mut Vec<Ll>) {
    let mid = Ll {
        lng: (a.lng + b.lng) / 2.0,
        lat: (a.lat + b.lat) / 2.0,
    };
    let geo_mid = normalize(add(a.v3(), b.v3()));
    if depth < 20 && meters(angle(mid.v3(), geo_mid)) > tol {
        densify_edge(a, mid, tol, depth + 1, out);
        densify_edge(mid, b, tol, depth + 1, out);
    } else {
        out.push(b);
    }
}

/// Whether geodesic segments a-b and c-d share a point.
fn segments_cross(a: V3, b: V3, c: V3, d: V3) -> bool {
    segment_intersection(a, b, c, d).is_some()
}

/// A common point of segments a-b and c-d (the crossing, or an endpoint lying on the
/// other segment).
fn segment_intersection(a: V3, b: V3, c: V3, d: V3) -> Option<V3> {
    const EPS: f64 = 1e-15;
    let on = |p: V3, a: V3, b: V3| angle(closest_on_segment(p, a, b), p) < 1e-12;
    let n1 = cross(a, b);
    let n2 = cross(c, d);
    let x = cross(n1, n2);
    if norm(x) > EPS {
        let x = normalize(x);
        for cand in [x, scale(x, -1.0)] {
            if on(cand, a, b) && on(cand, c, d) {
                return Some(cand);
            }
        }
    }
    [c, d]
        .into_iter()
        .find(|&p| on(p, a, b))
        .or_else(|| [a, b].into_iter().find(|&p| on(p, c, d)))
}

fn lines_cross(l1: &[Vec<Ll>], l2: &[Vec<Ll>]) -> bool {
    l1.iter().flat_map(|l| l.windows(2)).any(|s| {
        l2.iter()
            .flat_map(|l| l.windows(2))
            .any(|t| segments_cross(s[0].v3(), s[1].v3(), t[0].v3(), t[1].v3()))
    })
}

fn intersects_2lines(args: &[Value]) -> Value {
    match (
        lines(&arg0(args)),
        lines(args.get(1).unwrap_or(&Value::Null)),
    ) {
        (Some(a), Some(b)) => Value::Bool(lines_cross(&a, &b)),
        _ => Value::Null,
    }
}

fn line_polygon_intersect(ls: &[Vec<Ll>], ps: &[Poly]) -> bool {
    let rings: Vec<Vec<Ll>> = ps.iter().flatten().cloned().collect();
    lines_cross(ls, &rings)
        || ls
            .iter()
            .flatten()
            .any(|q| ps.iter().any(|p| poly_contains(p, *q)))
}

fn intersects_line_with_polygon(args: &[Value]) -> Value {
    match (
        lines(&arg0(args)),
        polygons(args.get(1).unwrap_or(&Value::Null)),
    ) {
        (Some(l), Some(p)) => Value::Bool(line_polygon_intersect(&l, &p)),
        _ => Value::Null,
    }
}

fn intersects_2polygons(args: &[Value]) -> Value {
    match (
        polygons(&arg0(args)),
        polygons(args.get(1).unwrap_or(&Value::Null)),
    ) {
        (Some(a), Some(b)) => {
            let ra: Vec<Vec<Ll>> = a.iter().flatten().cloned().collect();
            Value::Bool(
                line_polygon_intersect(&ra, &b)
                    || b.iter()
                        .flatten()
                        .flatten()
                        .any(|q| a.iter().any(|p| poly_contains(p, *q))),
            )
        }
        _ => Value::Null,
    }
}

/// Two lines: a point where they cross, the line itself when they are equal, or an
/// empty collection.
fn intersection_2lines(args: &[Value]) -> Value {
    let (Some(a), Some(b)) = (
        lines(&arg0(args)),
        lines(args.get(1).unwrap_or(&Value::Null)),
    ) else {
        return Value::Null;
    };
    if a == b {
        return arg0(args);
    }
    let mut pts: Vec<Ll> = Vec::new();
    for s in a.iter().flat_map(|l| l.windows(2)) {
        for t in b.iter().flat_map(|l| l.windows(2)) {
            if let Some(x) = segment_intersection(s[0].v3(), s[1].v3(), t[0].v3(), t[1].v3()) {
                let p = Ll::from_v3(x);
                if !pts.iter().any(|q| angle(q.v3(), x) < 1e-12) {
                    pts.push(p);
                }
            }
        }
    }
    Value::dynamic(match pts.as_slice() {
        [] => json!({"type": "GeometryCollection", "geometries": []}),
        [p] => json!({"type": "Point", "coordinates": p.json()}),
        _ => {
            json!({"type": "MultiPoint", "coordinates": pts.iter().map(|p| p.json()).collect::<Vec<_>>()})
        }
    })
}

// --- Coverings ----------------------------------------------------------------------

/// Refuse coverings larger than this (null), as Kusto does for huge requests.
const MAX_COVERING: usize = 65_536;

/// Whether a polygon and a convex geodesic cell (its vertices, closed) share a point.
fn poly_meets_cell(p: &[Vec<V3>], cell: &[V3], cell_has: impl Fn(V3) -> bool) -> bool {
    p.iter().flatten().any(|&v| cell_has(v))
        || cell[..cell.len() - 1]
            .iter()
            .any(|&c| ring_contains_v(&p[0], c) && !p[1..].iter().any(|h| ring_contains_v(h, c)))
        || p.iter().flat_map(|r| r.windows(2)).any(|e| {
            cell.windows(2)
                .any(|f| segments_cross(e[0], e[1], f[0], f[1]))
        })
}

/// `geo_polygon_to_s2cells(polygon, level = 11)`: the tokens of the cells of `level`
/// that meet the polygon, in cell-id order.
fn polygon_to_s2cells(args: &[Value]) -> Value {
    let level = if args.len() > 1 {
        long(args, 1)
    } else {
        Some(11)
    };
    let (Some(ps), Some(level)) = (polygons(&arg0(args)), level) else {
        return Value::Null;
    };
    if !(0..=30).contains(&level) {
        return Value::Null;
    }
    let polys: Vec<Vec<Vec<V3>>> = ps
        .iter()
        .map(|p| {
            p.iter()
                .map(|r| r.iter().map(|q| q.v3()).collect())
                .collect()
        })
        .collect();
    let meets = |id: &s2::cellid::CellID| {
        let cell = s2::cell::Cell::from(id);
        let mut vs: Vec<V3> = cell
            .vertices()
            .iter()
            .map(|p| [p.0.x, p.0.y, p.0.z])
            .collect();
        vs.push(vs[0]);
        let has = |v: V3| {
            cell.contains_point(&s2::point::Point(s2::r3::vector::Vector {
                x: v[0],
                y: v[1],
                z: v[2],
            }))
        };
        polys.iter().any(|p| poly_meets_cell(p, &vs, has))
    };
    let mut frontier: Vec<s2::cellid::CellID> = (0..6)
        .map(s2::cellid::CellID::from_face)
        .filter(|c| meets(c))
        .collect();
    for _ in 0..level {
        let mut next = Vec::new();
        for c in &frontier {
            next.extend(c.children().into_iter().filter(|ch| meets(ch)));
            if next.len() > MAX_COVERING {
                return Value::Null;
            }
        }
        frontier = next;
    }
    Value::dynamic(Json::Array(
        frontier
            .iter()
            .map(|c| Json::String(c.to_token()))
            .collect(),
    ))
}

/// `geo_polygon_to_h3cells(polygon, resolution = 6)`: the cells whose centers lie in
/// the polygon (H3's polyfill rule), in ascending index order.
fn polygon_to_h3cells(args: &[Value]) -> Value {
    let res = if args.len() > 1 {
        long(args, 1)
    } else {
        Some(6)
    };
    let (Some(ps), Some(r)) = (polygons(&arg0(args)), h3_res(res)) else {
        return Value::Null;
    };
    let mut out: Vec<h3o::CellIndex> = Vec::new();
    for p in &ps {
        // Walk outward from a vertex's cell over cells whose center is inside, or
        // whose boundary the ring crosses (so thin parts are not skipped).
        let Ok(start) = h3o::LatLng::new(p[0][0].lat, p[0][0].lng) else {
            return Value::Null;
        };
        let mut seen = std::collections::HashSet::new();
        let mut queue = vec![start.to_cell(r)];
        for q in p.iter().flatten() {
            if let Ok(ll) = h3o::LatLng::new(q.lat, q.lng) {
                queue.push(ll.to_cell(r));
            }
        }
        while let Some(c) = queue.pop() {
            if !seen.insert(c) {
                continue;
            }
            if seen.len() > MAX_COVERING {
                return Value::Null;
            }
            let center = h3_ll(h3o::LatLng::from(c));
            let inside = poly_contains(p, center);
            let mut ring: Vec<V3> = c.boundary().iter().map(|ll| h3_ll(*ll).v3()).collect();
            if let Some(&f) = ring.first() {
                ring.push(f);
            }
            let touches = inside
                || p.iter().flat_map(|r| r.windows(2)).any(|e| {
                    ring.windows(2)
                        .any(|f| segments_cross(e[0].v3(), e[1].v3(), f[0], f[1]))
                });
            if inside {
                out.push(c);
            }
            if touches {
                queue.extend(c.grid_disk::<Vec<_>>(1));
            }
        }
    }
    out.sort_unstable();
    out.dedup();
    Value::dynamic(Json::Array(out.into_iter().map(h3_str).collect()))
}

// --- WKT -------------------------------------------------------------------------------

fn from_wkt(args: &[Value]) -> Value {
    let s = super::s(args, 0);
    let mut p = Wkt {
        s: s.as_bytes(),
        i: 0,
    };
    match p.geometry() {
        Some(j) if p.end() => Value::dynamic(j),
        _ => Value::Null,
    }
}

struct Wkt<'a> {
    s: &'a [u8],
    i: usize,
}

impl Wkt<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }
    fn end(&mut self) -> bool {
        self.ws();
        self.i == self.s.len()
    }
    fn eat(&mut self, c: u8) -> bool {
        self.ws();
        if self.s.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn word(&mut self) -> String {
        self.ws();
        let st = self.i;
        while self.i < self.s.len() && self.s[self.i].is_ascii_alphabetic() {
            self.i += 1;
        }
        String::from_utf8_lossy(&self.s[st..self.i]).to_ascii_uppercase()
    }
    fn num(&mut self) -> Option<f64> {
        self.ws();
        let st = self.i;
        while self.i < self.s.len()
            && (self.s[self.i].is_ascii_digit() || b"+-.eE".contains(&self.s[self.i]))
        {
            self.i += 1;
        }
        std::str::from_utf8(&self.s[st..self.i]).ok()?.parse().ok()
    }
    fn point(&mut self) -> Option<Json> {
        let (x, y) = (self.num()?, self.num()?);
        Ll::new(x, y)?;
        Some(json!([x, y]))
    }
    /// `( a, b, ... )` of `item`.
    fn list(&mut self, item: fn(&mut Self) -> Option<Json>) -> Option<Json> {
        if !self.eat(b'(') {
            return None;
        }
        let mut out = vec![item(self)?];
        while self.eat(b',') {
            out.push(item(self)?);
        }
        self.eat(b')').then_some(Json::Array(out))
    }
    fn points(&mut self) -> Option<Json> {
        self.list(Self::point)
    }
    fn ring_list(&mut self) -> Option<Json> {
        self.list(Self::points)
    }
    /// MULTIPOINT accepts `(1 1, 2 2)` and `((1 1), (2 2))`.
    fn multipoint_item(&mut self) -> Option<Json> {
        if self.eat(b'(') {
            let p = self.point()?;
            return self.eat(b')').then_some(p);
        }
        self.point()
    }
    fn geometry(&mut self) -> Option<Json> {
        let kind = self.word();
        let (ty, c) = match kind.as_str() {
            "POINT" => {
                if !self.eat(b'(') {
                    return None;
                }
                let p = self.point()?;
                if !self.eat(b')') {
                    return None;
                }
                ("Point", p)
            }
            "LINESTRING" => ("LineString", self.points()?),
            "POLYGON" => ("Polygon", self.ring_list()?),
            "MULTIPOINT" => ("MultiPoint", self.list(Self::multipoint_item)?),
            "MULTILINESTRING" => ("MultiLineString", self.ring_list()?),
            "MULTIPOLYGON" => ("MultiPolygon", self.list(Self::ring_list)?),
            "GEOMETRYCOLLECTION" => {
                let g = self.list(Self::geometry)?;
                return Some(json!({"type": "GeometryCollection", "geometries": g}));
            }
            _ => return None,
        };
        Some(json!({"type": ty, "coordinates": c}))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(v: Value) -> f64 {
        v.as_f64().unwrap_or(f64::NAN)
    }

    #[test]
    fn distance_on_s2_sphere() {
        // Documented: 1546754.35197381 m (geo_distance_2points).
        let d = r(distance_2points(&[
            Value::Real(-122.407628),
            Value::Real(47.578557),
            Value::Real(-118.275287),
            Value::Real(34.019056),
        ]));
        assert!((d - 1_546_754.351_973_81).abs() < 1e-3, "{d}");
    }

    #[test]
    fn geohash_round_trips() {
        // Documented: geo_point_to_geohash(-80.195829, 25.802215, 8) == "dhwfz15h".
        let p = Ll::new(-80.195829, 25.802215).unwrap();
        assert_eq!(geohash_encode(p, 8), "dhwfz15h");
        let (x, y) = geohash_decode("sunny").unwrap();
        assert_eq!(
            ((x.0 + x.1) / 2.0, (y.0 + y.1) / 2.0),
            (42.47314453125, 23.70849609375)
        );
        assert!(geohash_decode("a").is_none());
    }

    #[test]
    fn s2_tokens() {
        // Documented: geo_point_to_s2cell(-80.195829, 25.802215, 8) == "88d9b".
        let v = point_to_s2cell(&[
            Value::Real(-80.195829),
            Value::Real(25.802215),
            Value::Long(8),
        ]);
        assert_eq!(v.to_kusto_string(), "88d9b");
    }

    #[test]
    fn h3_cells() {
        // Documented: geo_point_to_h3cell(-74.04450446039874, 40.689250859314974, 6).
        let v = point_to_h3cell(&[
            Value::Real(-74.04450446039874),
            Value::Real(40.689250859314974),
            Value::Long(6),
        ]);
        assert_eq!(v.to_kusto_string(), "862a1072fffffff");
        let p = h3cell_parent(&[Value::str("862a1072fffffff")]);
        assert_eq!(p.to_kusto_string(), "852a1073fffffff");
    }

    #[test]
    fn wkt_shapes() {
        let v = from_wkt(&[Value::str("MULTIPOINT (1 1, 2 2)")]);
        assert_eq!(
            v.as_json().cloned(),
            Some(json!({"type": "MultiPoint", "coordinates": [[1.0, 1.0], [2.0, 2.0]]}))
        );
        assert!(from_wkt(&[Value::str("LINESTRING")]).is_null());
    }

    #[test]
    fn point_in_square() {
        let sq = Value::dynamic(
            json!({"type": "Polygon", "coordinates": [[[0,0],[2,0],[2,2],[0,2],[0,0]]]}),
        );
        let inside = point_in_polygon(&[Value::Real(1.0), Value::Real(1.0), sq.clone()]);
        let outside = point_in_polygon(&[Value::Real(3.0), Value::Real(1.0), sq]);
        assert!(matches!(inside, Value::Bool(true)));
        assert!(matches!(outside, Value::Bool(false)));
    }
}

#[cfg(test)]
mod covering_tests {
    use super::*;

    #[test]
    fn s2_covering_holds_the_points_cells() {
        // A 0.02° square around (-73.95, 40.75): its level-12 covering contains the
        // cell of its center point and of its corners, and nothing at level 40.
        let sq = Value::dynamic(json!({"type": "Polygon", "coordinates": [[
            [-73.96, 40.74], [-73.94, 40.74], [-73.94, 40.76], [-73.96, 40.76], [-73.96, 40.74]
        ]]}));
        let cover = polygon_to_s2cells(&[sq.clone(), Value::Long(12)]);
        let cells: Vec<String> = cover
            .as_json()
            .and_then(Json::as_array)
            .unwrap()
            .iter()
            .map(|j| j.as_str().unwrap().to_string())
            .collect();
        for (lng, lat) in [(-73.95, 40.75), (-73.959, 40.741), (-73.941, 40.759)] {
            let t = point_to_s2cell(&[Value::Real(lng), Value::Real(lat), Value::Long(12)]);
            assert!(cells.contains(&t.to_kusto_string()), "{lng},{lat}");
        }
        assert!(polygon_to_s2cells(&[sq, Value::Long(40)]).is_null());
    }

    #[test]
    fn winding_containment_on_a_large_triangle() {
        // The geodesic from (0,50) to (100,50) bulges north: (50, 55) is inside.
        let tri = vec![vec![
            Ll::new(0.0, 0.0).unwrap(),
            Ll::new(0.0, 50.0).unwrap(),
            Ll::new(100.0, 50.0).unwrap(),
            Ll::new(0.0, 0.0).unwrap(),
        ]];
        assert!(poly_contains(&tri, Ll::new(50.0, 55.0).unwrap()));
        assert!(!poly_contains(&tri, Ll::new(50.0, 70.0).unwrap()));
    }
}
