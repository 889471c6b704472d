"""The pure duplicate check: the same shot against look-alikes and other views of one subject."""

from __future__ import annotations

import numpy as np
import pytest

from duplicates import matching
from duplicates.features import features_of, homography_b_to_a
from gallery.imaging import fit_long_side
from search import local_features
from tests import images
from tests.duplicates import edits


def measures(a: np.ndarray, b: np.ndarray) -> matching.Measures:
    (fa, size_a), (fb, size_b) = features_of(a), features_of(b)
    match = local_features.verify(fa, fb)
    grey_a = matching.appearance(fit_long_side(a, 320))
    grey_b = matching.appearance(fit_long_side(b, 320))
    return matching.measure(match.inliers, homography_b_to_a(match), size_a, size_b, grey_a, grey_b)


@pytest.mark.parametrize("name", ["astronaut", "chelsea", "coffee"])
def test_an_edited_copy_is_the_same_shot(name):
    photo = images.sample(name)
    m = measures(photo, edits.edited_copy(photo))
    assert matching.is_duplicate(m), m
    assert m.coverage > 0.8 and m.correlation > 0.9


def test_it_works_both_ways():
    photo = images.sample("astronaut")
    copy = edits.edited_copy(photo)
    assert matching.is_duplicate(measures(copy, photo))


def test_a_photo_with_the_same_colours_is_not():
    photo = images.sample("coffee")
    m = measures(photo, edits.look_alike(photo))
    assert not matching.is_duplicate(m), m


def test_another_view_of_the_same_subject_is_not():
    photo = images.sample("astronaut")
    m = measures(photo, edits.other_view(photo))
    assert m.inliers >= matching.DEFAULT.min_inliers  # the subject is recognised ...
    assert m.distortion > matching.DEFAULT.max_distortion  # ... seen from elsewhere
    assert not matching.is_duplicate(m)


def test_a_detail_of_the_photo_is_not():
    photo = images.sample("astronaut")
    h, w = photo.shape[:2]
    detail = np.ascontiguousarray(photo[h // 4 : h * 3 // 4, w // 4 : w * 3 // 4])
    m = measures(photo, detail)
    assert m.coverage < matching.DEFAULT.min_coverage
    assert not matching.is_duplicate(m)


def test_different_photos_are_not():
    m = measures(images.sample("astronaut"), images.sample("chelsea"))
    assert not matching.is_duplicate(m)


def test_signatures_of_a_copy_are_close_and_of_others_far():
    photo = images.sample("chelsea")
    mine = matching.signature(fit_long_side(photo, 320))
    copy = matching.signature(fit_long_side(edits.jpeg_round_trip(photo, 30), 320))
    other = matching.signature(fit_long_side(images.sample("coffee"), 320))
    distances = matching.signature_distances(mine, np.array([copy, other, mine]))
    assert distances[2] == 0
    assert distances[0] <= 6
    assert distances[1] > matching.DEFAULT.max_signature_distance


def test_a_degenerate_homography_is_no_match():
    grey = np.zeros((64, 64), np.uint8)
    flat = np.zeros((3, 3))
    m = matching.measure(50, flat, (64, 64), (64, 64), grey, grey)
    assert not matching.is_duplicate(m)
    assert not matching.is_duplicate(matching.measure(50, None, (64, 64), (64, 64), grey, grey))


def test_a_wide_picture_holding_the_photo_is_not():
    # A portrait next to another picture, 2.5 times as wide as it is tall: the portrait covers
    # enough of it and agrees where they overlap, but a wide picture is not the same shot as
    # a portrait.
    portrait = np.ascontiguousarray(images.sample("astronaut")[56:456, 56:456])
    wide = np.concatenate([portrait, fit_long_side(images.sample("coffee"), 600)], axis=1)
    assert wide.shape[:2] == (400, 1000)
    m = measures(wide, portrait)
    assert m.coverage >= matching.DEFAULT.min_coverage
    assert m.correlation >= matching.DEFAULT.min_correlation
    assert m.aspect_change == pytest.approx(2.5)
    assert not matching.is_duplicate(m), m


def test_a_square_crop_of_a_wide_photo_still_is():
    photo = images.sample("chelsea")  # 451×300
    h, w = photo.shape[:2]
    square = np.ascontiguousarray(photo[:, (w - h) // 2 : (w - h) // 2 + h])
    m = measures(photo, square)
    assert m.aspect_change == pytest.approx(w / h, rel=0.01)
    assert matching.is_duplicate(m), m
