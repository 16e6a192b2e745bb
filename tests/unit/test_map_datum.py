"""GCJ-02 for 高德/腾讯 tiles: known values of the published transform (eviltransform's test points)."""

import pytest

from fieldcheck.map.datum import out_of_china, wgs84_to_gcj02

# (WGS-84 lat, lon) -> (GCJ-02 lat, lon), as googollee/eviltransform's tests give them.
KNOWN = [
    ((31.1774276, 121.5272106), (31.17530398364597, 121.531541859215)),  # Shanghai
    ((22.543847, 113.912316), (22.540796131694766, 113.9171764808363)),  # Shenzhen
    ((39.911954, 116.377817), (39.91334545536069, 116.38404722455657)),  # Beijing
]


@pytest.mark.parametrize(("wgs", "gcj"), KNOWN)
def test_known_points(wgs, gcj):
    lon, lat = wgs84_to_gcj02(wgs[1], wgs[0])
    # 1e-6 degrees is about 0.1 m: the published variants differ by less than a centimetre.
    assert lat == pytest.approx(gcj[0], abs=1e-6)
    assert lon == pytest.approx(gcj[1], abs=1e-6)


def test_the_shift_is_hundreds_of_metres_in_china():
    lon, lat = wgs84_to_gcj02(112.45, 34.62)  # Luoyang
    assert 0.001 < abs(lon - 112.45) + abs(lat - 34.62) < 0.02


def test_outside_china_unchanged():
    assert out_of_china(2.35, 48.85)
    assert wgs84_to_gcj02(2.35, 48.85) == (2.35, 48.85)
    assert wgs84_to_gcj02(121.0, 60.0) == (121.0, 60.0)
