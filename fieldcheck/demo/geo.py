"""A made-up demo district around Luoyang's old town: sub-districts, communities and spots.

Pure module: a seed in, plain data out, the same for the same seed.

How the district is drawn: a jittered grid of points over the area gives a Voronoi diagram of small
blocks (about 220 m across, like city blocks); the district is the blocks inside an irregular outline.
Sub-districts grow from 15 seeds over adjacent blocks, and communities grow the same way inside each
sub-district, so both are contiguous, irregular, and share edges exactly (every block edge comes from
the one diagram). One block inside a community is left to no community (an institutional compound, a
hole in the district), and one block inside another community is given to a neighbouring community
(an exclave, so that community is a MultiPolygon).
"""

from __future__ import annotations

import heapq
import math
import random
from collections import defaultdict
from typing import Any

import numpy as np
import shapely
from shapely import MultiPolygon, Polygon, STRtree, box

from ..geo import SPOT_TYPES, BoundaryFeature, to_feature_collection

__all__ = ["BBOX", "demo_spots", "generate_district", "to_feature_collection"]

# (lat_min, lon_min, lat_max, lon_max)
BBOX = (34.62, 112.33, 34.70, 112.46)
SUBDISTRICT_COUNT = 15
MIN_COMMUNITIES = 84

SUBDISTRICT_NAMES = (
    "西工街道", "涧西街道", "王城街道", "洛浦街道", "邙山街道", "定鼎街道", "九都街道", "中州街道",
    "周公街道", "丽景街道", "瀍东街道", "南关街道", "金谷街道", "唐宫街道", "凯旋街道",
)  # fmt: skip
COMMUNITY_STEMS = (
    "王城", "青年宫", "牡丹", "春都", "龙门", "九龙", "文化", "和平", "建设", "解放", "胜利", "东风",
    "红旗", "光明", "幸福", "友谊", "团结", "新华", "朝阳", "五一", "七里河", "纱厂", "铁路", "矿山",
    "周王", "天堂", "明堂", "丽春", "翠微", "芳林", "河清", "清华", "景华", "玉虹", "西苑", "东苑",
    "南苑", "北苑", "桃园", "杏园", "梨园", "枣园", "柳林", "松林", "杨庄", "李村", "张庄", "史家屯",
    "马坡", "下园", "上园", "中园", "玉泉", "银杏", "紫薇", "丁香", "海棠", "凌波", "洛北", "洛南",
    "涧东", "瀍西", "道北", "道南", "状元红", "老城", "新街", "东大街", "西大街", "南大街", "北大街",
    "十字街", "鼓楼", "文峰塔", "丽景门", "贴廓巷", "北窑", "南窑", "西窑", "健康", "安乐", "长安",
    "永宁", "太平", "兴隆", "华山", "嵩山", "衡山", "泰山", "黄河", "长江", "珠江", "邙岭", "伊河",
    "洛河", "南昌", "武汉", "天津", "青岛", "湖北", "广州", "西安", "郑州", "延安", "井冈山", "韶山",
    "东涧沟", "西下池", "苗南", "苗北", "望朝岭", "孙旗屯", "辛店", "谷水", "后李", "前进", "红山",
    "体育场", "电厂", "轴承厂", "拖拉机厂", "玻璃厂",
)  # fmt: skip
_CROSS_STREETS = ("中州", "九都", "凯旋", "唐宫", "定鼎", "西苑", "涧河", "周公", "体育场", "王城大道")
# Probability that a community has each optional spot type; every community has residences (RES).
_SPOT_ODDS = {"ALY": 0.5, "ROAD": 0.7, "MKT": 0.25, "XING": 0.6, "WC": 0.5, "CEN": 0.35, "PARK": 0.35}

_KM_PER_DEG_LAT = 6371.0088 * math.pi / 180
_KM_PER_DEG_LON = _KM_PER_DEG_LAT * math.cos(math.radians((BBOX[0] + BBOX[2]) / 2))
_WIDTH_KM = (BBOX[3] - BBOX[1]) * _KM_PER_DEG_LON
_HEIGHT_KM = (BBOX[2] - BBOX[0]) * _KM_PER_DEG_LAT
_BLOCK_KM = 0.22


def generate_district(seed: int = 2026) -> list[BoundaryFeature]:
    """Return the demo district's communities, ordered by code (C001...), the same for the same seed."""
    rng = random.Random(seed)
    cells, points = _blocks(rng)
    neighbours, shared = _adjacency(cells)
    perimeter = shapely.length(cells)

    everything = list(range(len(cells)))
    subdistrict_seeds = _spread_seeds(points, everything, SUBDISTRICT_COUNT, rng)
    subdistrict_of = _grow(points, neighbours, everything, subdistrict_seeds, rng)
    members: dict[int, list[int]] = defaultdict(list)
    for block, region in subdistrict_of.items():
        members[region].append(block)
    order = sorted(members, key=lambda r: _reading_order(points[members[r]].mean(axis=0)))

    counts = [rng.randint(5, 7) for _ in order]
    while sum(counts) < MIN_COMMUNITIES:
        counts[rng.choice([i for i, n in enumerate(counts) if n < 7])] += 1

    names = list(COMMUNITY_STEMS)
    rng.shuffle(names)
    communities: list[dict[str, Any]] = []  # code, name, subdistrict index, blocks
    for sd_index, (region, count) in enumerate(zip(order, counts, strict=True)):
        blocks = sorted(members[region])
        seeds = _spread_seeds(points, blocks, count, rng)
        community_of = _grow(points, neighbours, blocks, seeds, rng)
        groups: dict[int, list[int]] = defaultdict(list)
        for block, group in community_of.items():
            groups[group].append(block)
        for group in sorted(groups, key=lambda g: _reading_order(points[groups[g]].mean(axis=0))):
            communities.append({"subdistrict": sd_index, "blocks": set(groups[group])})
    for number, community in enumerate(communities, start=1):
        community["code"] = f"C{number:03d}"
        community["name"] = f"{names[number - 1]}社区"

    _carve_enclave_and_exclave(communities, neighbours, shared, perimeter, rng)

    features = []
    for community in communities:
        geometry = shapely.union_all(cells[sorted(community["blocks"])])
        sd_index = community["subdistrict"]
        features.append(
            BoundaryFeature(
                community_code=community["code"],
                community_name=community["name"],
                subdistrict_code=f"SD{sd_index + 1:02d}",
                subdistrict_name=SUBDISTRICT_NAMES[sd_index],
                geometry=_to_degrees(geometry),
                spot_types=_spot_types(rng),
            )
        )
    return features


def demo_spots(features: list[BoundaryFeature], seed: int = 2026) -> list[dict[str, Any]]:
    """One spot per spot type of each community, placed inside it; the same for the same seed.

    Each spot is a dict with code (``C001-MKT-1``), name, spot_type, community_code, lat, lon, and the
    responsible unit (包保/责任单位) with a made-up contact.
    """
    spots = []
    for feature in features:
        rng = random.Random(f"{seed}:{feature.community_code}")
        for spot_type in feature.spot_types:
            lat, lon = _point_inside(feature.geometry, rng)
            spots.append(
                {
                    "code": f"{feature.community_code}-{spot_type}-1",
                    "name": _spot_name(feature.community_name, spot_type, rng),
                    "spot_type": spot_type,
                    "community_code": feature.community_code,
                    "lat": lat,
                    "lon": lon,
                    **_responsible(
                        feature, spot_type, random.Random(f"{seed}:{feature.community_code}:{spot_type}")
                    ),
                }
            )
    return spots


# Who answers for each kind of spot (包保/责任单位); {community} and {subdistrict} are filled in.
_UNITS = {
    "RES": "{community}物业服务中心",
    "ALY": "{subdistrict}办事处",
    "ROAD": "区城市管理局",
    "MKT": "区市场监督管理局",
    "XING": "区交警大队",
    "WC": "区环境卫生服务中心",
    "CEN": "{community}居民委员会",
    "PARK": "区园林绿化中心",
}
_SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗"
_GIVEN = ("伟", "芳", "娜", "敏", "静", "磊", "洋", "勇", "艳", "杰", "军", "涛", "明", "超", "霞")


def _responsible(feature: BoundaryFeature, spot_type: str, rng: random.Random) -> dict[str, str]:
    """A responsible unit and a made-up contact (a name and a Luoyang landline number)."""
    unit = _UNITS[spot_type].format(community=feature.community_name, subdistrict=feature.subdistrict_name)
    name = rng.choice(_SURNAMES) + rng.choice(_GIVEN)
    return {"responsible_unit": unit, "contact": f"{name} 0379-6{rng.randint(0, 9999999):07d}"}


def _blocks(rng: random.Random) -> tuple[np.ndarray, np.ndarray]:
    """Voronoi blocks of a jittered grid whose generating points lie inside an irregular outline."""
    nx, ny = math.ceil(_WIDTH_KM / _BLOCK_KM), math.ceil(_HEIGHT_KM / _BLOCK_KM)
    sx, sy = _WIDTH_KM / nx, _HEIGHT_KM / ny
    points = np.array(
        [
            ((i + 0.5 + rng.uniform(-0.35, 0.35)) * sx, (j + 0.5 + rng.uniform(-0.35, 0.35)) * sy)
            for j in range(ny)
            for i in range(nx)
        ]
    )
    frame = box(0, 0, _WIDTH_KM, _HEIGHT_KM)
    cells = np.array(
        shapely.get_parts(
            shapely.voronoi_polygons(shapely.multipoints(points), extend_to=frame, ordered=True)
        )
    )
    outline = _outline(rng)
    keep = shapely.contains_xy(outline, points[:, 0], points[:, 1]) & shapely.within(cells, frame)
    return cells[keep], points[keep]


def _outline(rng: random.Random) -> Polygon:
    """A star-shaped district outline: a squarish superellipse with gentle bulges and bays."""
    margin = 2 * _BLOCK_KM
    a, b = _WIDTH_KM / 2 - margin, _HEIGHT_KM / 2 - margin
    waves = [(k, rng.uniform(0.02, 0.05), rng.uniform(0, 2 * math.pi)) for k in (2, 3, 4, 5, 7)]
    ring = []
    for step in range(96):
        theta = 2 * math.pi * step / 96
        c, s = math.cos(theta), math.sin(theta)
        radius = (abs(c / a) ** 4 + abs(s / b) ** 4) ** (-1 / 4)
        # Shrinks by at most the sum of amplitudes, never grows, so the outline stays inside the margin.
        radius *= 1 - sum(amp * (1 + math.cos(k * theta + phase)) / 2 for k, amp, phase in waves)
        ring.append((_WIDTH_KM / 2 + radius * c, _HEIGHT_KM / 2 + radius * s))
    return Polygon(ring)


def _adjacency(cells: np.ndarray) -> tuple[dict[int, list[int]], dict[tuple[int, int], float]]:
    """Blocks sharing an edge (not just a vertex), and the length of each shared edge."""
    left, right = STRtree(cells).query(cells, predicate="intersects")
    mask = left < right
    left, right = left[mask], right[mask]
    lengths = shapely.length(shapely.intersection(cells[left], cells[right]))
    neighbours: dict[int, list[int]] = defaultdict(list)
    shared: dict[tuple[int, int], float] = {}
    for i, j, length in zip(left.tolist(), right.tolist(), lengths.tolist(), strict=True):
        if length > 1e-9:
            neighbours[i].append(j)
            neighbours[j].append(i)
            shared[i, j] = shared[j, i] = length
    return neighbours, shared


def _spread_seeds(points: np.ndarray, blocks: list[int], count: int, rng: random.Random) -> list[int]:
    """Blocks nearest the centres of a few rounds of k-means, so seeds are spread out evenly."""
    xy = points[blocks]
    centres = xy[sorted(rng.sample(range(len(blocks)), count))]
    for _ in range(8):
        nearest = np.argmin(((xy[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2), axis=1)
        centres = np.array(
            [xy[nearest == k].mean(axis=0) if (nearest == k).any() else centres[k] for k in range(count)]
        )
    seeds: list[int] = []
    for centre in centres:
        for index in np.argsort(((xy - centre) ** 2).sum(axis=1)).tolist():
            if blocks[index] not in seeds:
                seeds.append(blocks[index])
                break
    return seeds


def _grow(
    points: np.ndarray,
    neighbours: dict[int, list[int]],
    blocks: list[int],
    seeds: list[int],
    rng: random.Random,
) -> dict[int, int]:
    """Assign blocks to regions grown from the seeds over shared edges; each region stays contiguous.

    Each region grows at its own pace (a random weight), so sizes vary the way real ones do.
    """
    allowed = set(blocks)
    weights = [rng.uniform(0.8, 1.25) for _ in seeds]
    heap = [(0.0, n, seed, n) for n, seed in enumerate(seeds)]
    counter = len(heap)
    owner: dict[int, int] = {}
    while heap:
        cost, _, block, region = heapq.heappop(heap)
        if block in owner:
            continue
        owner[block] = region
        for other in neighbours[block]:
            if other in allowed and other not in owner:
                step = float(np.hypot(*(points[other] - points[block])))
                heapq.heappush(heap, (cost + weights[region] * step, counter, other, region))
                counter += 1
    return owner


def _carve_enclave_and_exclave(
    communities: list[dict[str, Any]],
    neighbours: dict[int, list[int]],
    shared: dict[tuple[int, int], float],
    perimeter: np.ndarray,
    rng: random.Random,
) -> None:
    """Leave one inner block to no community, and give another to a neighbouring community."""
    community_of = {block: n for n, c in enumerate(communities) for block in c["blocks"]}

    def inner_blocks(n: int) -> list[int]:
        # Every edge shared with the same community: removing the block leaves a hole, not a notch.
        blocks = communities[n]["blocks"]
        return sorted(
            block
            for block in blocks
            if abs(sum(shared[block, o] for o in neighbours[block] if o in blocks) - perimeter[block]) < 1e-9
        )

    candidates = [
        n for n in range(len(communities)) if len(communities[n]["blocks"]) >= 6 and inner_blocks(n)
    ]
    host, giver = rng.sample(candidates, 2)
    # The enclave: a compound inside the host community that belongs to no community.
    communities[host]["blocks"].remove(rng.choice(inner_blocks(host)))
    # The exclave: a block inside the giver that belongs to one of the giver's neighbours.
    piece = rng.choice(inner_blocks(giver))
    touching = sorted(
        {community_of[o] for block in communities[giver]["blocks"] for o in neighbours[block]} - {giver, host}
    )
    same_subdistrict = [
        n for n in touching if communities[n]["subdistrict"] == communities[giver]["subdistrict"]
    ]
    taker = rng.choice(same_subdistrict or touching)
    communities[giver]["blocks"].remove(piece)
    communities[taker]["blocks"].add(piece)


def _reading_order(xy: np.ndarray) -> tuple[int, float]:
    """North to south in three bands, west to east within a band."""
    band = int((_HEIGHT_KM - xy[1]) // (_HEIGHT_KM / 3))
    return band, float(xy[0])


def _to_degrees(geometry: Polygon | MultiPolygon) -> Polygon | MultiPolygon:
    scale = np.array([_KM_PER_DEG_LON, _KM_PER_DEG_LAT])
    origin = np.array([BBOX[1], BBOX[0]])
    return shapely.transform(geometry, lambda xy: xy / scale + origin)


def _spot_types(rng: random.Random) -> tuple[str, ...]:
    odds = rng.random
    return tuple(kind for kind in SPOT_TYPES if kind == "RES" or odds() < _SPOT_ODDS[kind])


def _spot_name(community_name: str, spot_type: str, rng: random.Random) -> str:
    stem = community_name.removesuffix("社区")
    if spot_type == "RES":
        return f"{community_name}{rng.randint(1, 12)}号院"
    if spot_type == "ALY":
        return f"{stem}{rng.choice('东西南北')}巷"
    if spot_type == "ROAD":
        return f"{stem}路"
    if spot_type == "MKT":
        return f"{stem}农贸市场"
    if spot_type == "XING":
        other = rng.choice([street for street in _CROSS_STREETS if street != stem])
        return f"{stem}路与{other}路口"
    if spot_type == "WC":
        return f"{stem}公厕"
    if spot_type == "CEN":
        return f"{community_name}党群服务中心"
    return f"{stem}游园"


def _point_inside(geometry: Polygon | MultiPolygon, rng: random.Random) -> tuple[float, float]:
    """A (lat, lon) rounded to 6 decimals strictly inside the geometry, near its representative point."""
    anchor = geometry.representative_point()
    min_x, min_y, max_x, max_y = geometry.bounds
    reach = 0.25 * min(max_x - min_x, max_y - min_y)
    for _ in range(50):
        lon = round(anchor.x + rng.uniform(-reach, reach), 6)
        lat = round(anchor.y + rng.uniform(-reach, reach), 6)
        if shapely.contains_xy(geometry, lon, lat):
            return lat, lon
    lon, lat = round(anchor.x, 6), round(anchor.y, 6)
    if shapely.contains_xy(geometry, lon, lat):
        return lat, lon
    return anchor.y, anchor.x
