"""effects.compose on generated images: what stays sharp, what changes, and what must not bleed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import cv2
import numpy as np
import pytest

from effects import compose

BACKGROUND = (110, 140, 110)  # grey-green
RED = (250, 20, 20)


def red_square_scene(
    height: int = 240, width: int = 320, *, textured: bool = False, soft_edge: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """A bright red square subject on a grey-green background, and its matte."""
    image = np.empty((height, width, 3), np.uint8)
    image[:] = BACKGROUND
    if textured:
        # Fine stripes and noise, so that any blur visibly changes the background.
        rng = np.random.default_rng(7)
        stripes = np.where((np.arange(width) // 3) % 2 == 0, 40, -40)
        noise = rng.integers(-25, 26, (height, width, 3))
        image = np.clip(image.astype(int) + stripes[None, :, None] + noise, 0, 255).astype(np.uint8)
    top, left = height // 3, width // 3
    bottom, right = height - height // 3, width - width // 3
    image[top:bottom, left:right] = RED
    alpha: np.ndarray = np.zeros((height, width), np.uint8)
    alpha[top:bottom, left:right] = 255
    if soft_edge:
        # A soft matte edge, as a real matte has: 255 inside, a ramp across the border.
        alpha = cv2.GaussianBlur(alpha, (0, 0), 1.5)
        alpha[top + 3 : bottom - 3, left + 3 : right - 3] = 255
    return image, alpha


def frozen(*arrays: np.ndarray) -> list[np.ndarray]:
    """Read-only copies: any attempt to write into an input raises."""
    copies = []
    for array in arrays:
        copy = array.copy()
        copy.flags.writeable = False
        copies.append(copy)
    return copies


def distance_from(mask: np.ndarray) -> np.ndarray:
    """Distance in pixels from the nearest pixel of `mask`."""
    return cv2.distanceTransform((~mask).astype(np.uint8), cv2.DIST_L2, 5)


# --- portrait ---------------------------------------------------------------------------------


@pytest.mark.parametrize("bokeh", ["gaussian", "disc"])
@pytest.mark.parametrize("blur", [1, 50, 100])
def test_it_keeps_the_subject_identical_inside_the_matte(blur, bokeh):
    image, alpha = red_square_scene(textured=True, soft_edge=True)
    out = compose.render_portrait(image, alpha, blur=blur, bokeh=bokeh)
    assert out.shape == image.shape and out.dtype == np.uint8
    inside = alpha == 255
    assert np.array_equal(out[inside], image[inside])


@pytest.mark.parametrize("bokeh", ["gaussian", "disc"])
def test_it_changes_the_background(bokeh):
    image, alpha = red_square_scene(textured=True)
    out = compose.render_portrait(image, alpha, blur=50, bokeh=bokeh)
    outside = alpha == 0
    difference = np.abs(out.astype(int) - image.astype(int))[outside]
    assert difference.mean() > 15
    # Blurring removes the stripes: far less detail left in the background.
    far = distance_from(alpha > 0) > 20
    assert out[far].std(axis=0).mean() < 0.5 * image[far].std(axis=0).mean()


def test_a_stronger_blur_changes_the_background_more():
    image, alpha = red_square_scene(textured=True)
    outside = alpha == 0
    changes = []
    for blur in (10, 40, 100):
        out = compose.render_portrait(image, alpha, blur=blur)
        changes.append(np.abs(out.astype(int) - image.astype(int))[outside].mean())
    assert changes[0] < changes[1] < changes[2]


def naive_portrait(image: np.ndarray, alpha: np.ndarray, sigma: float) -> np.ndarray:
    """The textbook recipe: blur the whole photo, subject included, then composite."""
    blurred = cv2.GaussianBlur(image, (0, 0), sigma)
    weight = alpha.astype(np.float32)[..., None] / 255
    return np.clip(weight * image + (1 - weight) * blurred + 0.5, 0, 255).astype(np.uint8)


@pytest.mark.parametrize("bokeh", ["gaussian", "disc"])
@pytest.mark.parametrize("soft_edge", [False, True])
def test_no_subject_colour_bleeds_into_the_blurred_background(bokeh, soft_edge):
    image, alpha = red_square_scene(soft_edge=soft_edge)
    blur = 100
    sigma = compose.blur_sigma(blur, image.shape)
    # The background pixels within reach of the blur around the subject.
    near = (alpha == 0) & (distance_from(alpha > 0) <= 3 * sigma)
    assert near.sum() > 1000

    naive = naive_portrait(image, alpha, sigma)
    naive_red_shift = naive[near][:, 0].astype(int) - BACKGROUND[0]
    assert naive_red_shift.max() > 25  # the test scene does show a halo with a naive blur

    out = compose.render_portrait(image, alpha, blur=blur, bokeh=bokeh)
    difference = np.abs(out[near].astype(int) - np.array(BACKGROUND))
    assert difference.max() <= 2, "subject colour leaked into the background"


def test_the_background_plate_has_no_subject_colour_even_behind_a_large_subject():
    height, width = 200, 300
    image = np.empty((height, width, 3), np.uint8)
    image[:] = BACKGROUND
    alpha = np.zeros((height, width), np.uint8)
    alpha[10:-10, 15:-15] = 255  # the subject fills most of the frame
    image[alpha == 255] = RED
    plate = compose.blurred_background(image, alpha, sigma=6.0)
    assert plate.shape == image.shape and plate.dtype == np.uint8
    # Everywhere, including far inside the subject, the plate is made of background only.
    assert np.abs(plate.astype(int) - np.array(BACKGROUND)).max() <= 2


def test_blur_strength_zero_returns_the_image_unchanged():
    image, alpha = red_square_scene(textured=True)
    for bokeh in compose.BOKEH_SHAPES:
        out = compose.render_portrait(image, alpha, blur=0, bokeh=bokeh)
        assert np.array_equal(out, image)
        assert not np.shares_memory(out, image)


def test_blur_sigma_is_proportional_to_the_long_side():
    assert compose.blur_sigma(0, (3024, 4032, 3)) == 0
    assert compose.blur_sigma(100, (3024, 4032, 3)) == pytest.approx(0.02 * 4032)
    assert compose.blur_sigma(50, (4032, 3024, 3)) == pytest.approx(0.01 * 4032)
    assert compose.blur_sigma(50, (800, 600)) == pytest.approx(
        2 * compose.blur_sigma(50, (400, 300))
    )


@pytest.mark.parametrize("blur", [-1, 101])
def test_blur_out_of_range_is_a_value_error(blur):
    image, alpha = red_square_scene()
    with pytest.raises(ValueError):
        compose.render_portrait(image, alpha, blur=blur)


def step_width(row: np.ndarray) -> int:
    """Columns of a dark-to-bright step profile between 10% and 90% of its range."""
    low, high = row.min(), row.max()
    assert high - low > 200
    level = (row - low) / (high - low)
    return int(np.count_nonzero((level > 0.1) & (level < 0.9)))


@pytest.mark.parametrize("bokeh", ["gaussian", "disc"])
def test_blur_scales_with_image_size(bokeh):
    """The same photo at two sizes looks the same: the blur spread doubles with the size."""
    widths = {}
    for scale in (1, 4):
        height, width = 150 * scale, 200 * scale
        image = np.zeros((height, width, 3), np.uint8)
        image[:, width // 2 :] = 255  # a vertical step edge in the background
        alpha = np.zeros((height, width), np.uint8)
        out = compose.render_portrait(image, alpha, blur=60, bokeh=bokeh)
        widths[scale] = step_width(out[height // 2, :, 1].astype(float))
    assert widths[1] >= 4
    assert 3.3 <= widths[4] / widths[1] <= 4.7


def test_a_blur_on_the_downscaled_copy_matches_a_full_size_blur():
    """The small-copy shortcut must look like blurring at full size (no blocky upscale)."""
    rng = np.random.default_rng(3)
    image = cv2.resize(
        rng.integers(0, 256, (30, 40, 3), dtype=np.uint8), (400, 300), interpolation=cv2.INTER_CUBIC
    )
    alpha = np.zeros((300, 400), np.uint8)
    sigma = compose.blur_sigma(100, image.shape)
    ours = compose.render_portrait(image, alpha, blur=100).astype(int)
    reference = cv2.GaussianBlur(image, (0, 0), sigma, borderType=cv2.BORDER_REFLECT).astype(int)
    inner = (slice(30, -30), slice(30, -30))  # away from the border handling
    assert np.abs(ours[inner] - reference[inner]).mean() < 2.0


def blurred_point_light(bokeh: str) -> tuple[np.ndarray, float]:
    """A small bright light on black, blurred at full strength, and the disc radius in px."""
    size = 400
    image = np.zeros((size, size, 3), np.uint8)
    image[198:202, 198:202] = 255
    alpha = np.zeros((size, size), np.uint8)
    out = compose.render_portrait(image, alpha, blur=100, bokeh=bokeh)
    return out[..., 0].astype(float), 2 * compose.blur_sigma(100, image.shape)


def test_disc_bokeh_turns_a_point_light_into_a_flat_round_disc():
    out, radius = blurred_point_light("disc")
    peak = out.max()
    assert peak > 20
    ys, xs = np.mgrid[: out.shape[0], : out.shape[1]]
    distance = np.hypot(ys - 199.5, xs - 199.5)
    assert out[distance <= 0.6 * radius].min() >= 0.75 * peak, "the disc is not flat-topped"
    assert out[distance >= 1.4 * radius].max() <= 0.05 * peak, "the disc has no edge"
    # Round, and about the size of the bokeh radius.
    lit = out > 0.5 * peak
    rows, columns = np.nonzero(lit)
    assert abs(np.ptp(rows) - np.ptp(columns)) <= 2
    assert 1.6 * radius <= np.ptp(columns) + 1 <= 2.4 * radius


def test_gaussian_bokeh_fades_out_instead():
    out, radius = blurred_point_light("gaussian")
    ys, xs = np.mgrid[: out.shape[0], : out.shape[1]]
    distance = np.hypot(ys - 199.5, xs - 199.5)
    assert out[distance <= 0.6 * radius].min() < 0.6 * out.max()


def test_an_unknown_bokeh_is_a_value_error():
    image, alpha = red_square_scene()
    with pytest.raises(ValueError, match="bokeh"):
        compose.render_portrait(image, alpha, blur=50, bokeh="hexagon")


# --- background replacement, colour pop, cut-out ---------------------------------------------


def test_replace_background_with_a_colour():
    image, alpha = red_square_scene(textured=True, soft_edge=True)
    out = compose.replace_background(image, alpha, (0, 255, 0))
    assert np.array_equal(out[alpha == 255], image[alpha == 255])
    assert (out[alpha == 0] == (0, 255, 0)).all()
    edge = (alpha > 40) & (alpha < 215)
    assert edge.any()
    expected = alpha[edge, None] / 255 * image[edge] + (1 - alpha[edge, None] / 255) * [0, 255, 0]
    assert np.abs(out[edge] - expected).max() <= 1


def disc_photo(height: int, width: int) -> tuple[np.ndarray, int]:
    """A background photo: a white circle of diameter min(h, w) / 2 centred on dark blue."""
    photo = np.empty((height, width, 3), np.uint8)
    photo[:] = (10, 20, 90)
    diameter = min(height, width) // 2
    cv2.circle(photo, (width // 2, height // 2), diameter // 2, (255, 255, 255), -1)
    return photo, diameter


def circle_extent(image: np.ndarray) -> tuple[int, int, float, float]:
    """Height, width and centre of the white circle in `image`."""
    ys, xs = np.nonzero(image[..., 0] > 128)
    height, width = int(np.ptp(ys)) + 1, int(np.ptp(xs)) + 1
    return height, width, (ys.min() + ys.max()) / 2, (xs.min() + xs.max()) / 2


@pytest.mark.parametrize(
    "photo_shape",
    [(100, 100), (300, 120), (90, 400), (1200, 900)],  # square, tall, wide; smaller and larger
)
def test_replace_background_with_a_photo_covers_without_stretching(photo_shape):
    height, width = 200, 320
    image = np.full((height, width, 3), 77, np.uint8)
    alpha = np.zeros((height, width), np.uint8)  # all background: we see the photo as placed
    photo, diameter = disc_photo(*photo_shape)
    out = compose.replace_background(image, alpha, photo)
    assert out.shape == image.shape
    # Covered: no pixel of the original is left, nothing padded.
    assert not (out == 77).all(axis=2).any()
    assert not (out == 0).all(axis=2).any()
    # The circle is still a circle, at the centre, scaled by the cover factor.
    scale = max(height / photo_shape[0], width / photo_shape[1])
    circle_height, circle_width, cy, cx = circle_extent(out)
    if diameter * scale < min(height, width):  # whole circle visible
        assert abs(circle_height - circle_width) <= 2
        assert abs(circle_width - diameter * scale) <= 3
    else:  # the circle fills the frame in one direction: check the other one
        assert circle_width == width or circle_height == height
    assert abs(cy - (height - 1) / 2) <= 1.5 and abs(cx - (width - 1) / 2) <= 1.5


def test_replace_background_with_a_photo_keeps_the_subject():
    image, alpha = red_square_scene(soft_edge=True)
    photo, _ = disc_photo(50, 50)
    out = compose.replace_background(image, alpha, photo)
    assert np.array_equal(out[alpha == 255], image[alpha == 255])
    assert not (out[alpha == 0] == image[alpha == 0]).all(axis=1).any()


def test_a_background_photo_must_be_rgb_uint8():
    image, alpha = red_square_scene()
    with pytest.raises(ValueError):
        compose.replace_background(image, alpha, np.zeros((10, 10), np.uint8))
    with pytest.raises(ValueError):
        compose.replace_background(image, alpha, np.zeros((10, 10, 4), np.uint8))
    with pytest.raises(ValueError):
        compose.replace_background(image, alpha, np.zeros((10, 10, 3), np.float32))


def test_colour_pop_turns_the_background_grey_and_keeps_the_subject():
    image, alpha = red_square_scene(textured=True, soft_edge=True)
    out = compose.colour_pop(image, alpha)
    background = out[alpha == 0]
    assert (background[:, 0] == background[:, 1]).all() and (
        background[:, 1] == background[:, 2]
    ).all()
    luma = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)[alpha == 0]
    assert np.abs(background[:, 0].astype(int) - luma).max() <= 1
    assert np.array_equal(out[alpha == 255], image[alpha == 255])
    # The subject stays red, it is not greyed.
    assert (out[alpha == 255][:, 0] > 200).all()


def test_cutout_is_rgba_with_the_matte_as_alpha():
    image, alpha = red_square_scene(textured=True, soft_edge=True)
    out = compose.cutout(image, alpha)
    assert out.shape == (*image.shape[:2], 4) and out.dtype == np.uint8
    assert np.array_equal(out[..., 3], alpha)
    assert np.array_equal(out[..., :3], image)  # straight alpha: colours untouched


def test_composite_weights():
    foreground = np.full((4, 4, 3), 200, np.uint8)
    background = np.full((4, 4, 3), 100, np.uint8)
    alpha = np.array([[0, 255, 128, 64]] * 4, np.uint8)
    out = compose.composite(foreground, background, alpha)
    assert (out[:, 0] == 100).all() and (out[:, 1] == 200).all()
    assert np.abs(out[:, 2].astype(int) - 150).max() <= 1
    assert np.abs(out[:, 3].astype(int) - 125).max() <= 1


@pytest.mark.parametrize(
    "bad",
    [
        lambda image, alpha: (image.astype(np.float32), alpha),
        lambda image, alpha: (image[..., 0], alpha),
        lambda image, alpha: (image, alpha[1:]),
        lambda image, alpha: (image, alpha.astype(np.float32)),
    ],
)
def test_wrong_inputs_are_value_errors(bad):
    image, alpha = bad(*red_square_scene())
    for call in (
        lambda: compose.render_portrait(image, alpha),
        lambda: compose.colour_pop(image, alpha),
        lambda: compose.cutout(image, alpha),
        lambda: compose.replace_background(image, alpha, (0, 0, 0)),
    ):
        with pytest.raises(ValueError):
            call()


# --- purity -----------------------------------------------------------------------------------

CALLS: dict[str, Callable[[np.ndarray, np.ndarray, np.ndarray], Any]] = {
    "portrait gaussian": lambda i, a, p: compose.render_portrait(i, a, 70, "gaussian"),
    "portrait disc": lambda i, a, p: compose.render_portrait(i, a, 70, "disc"),
    "portrait blur 0": lambda i, a, p: compose.render_portrait(i, a, 0),
    "blurred background": lambda i, a, p: compose.blurred_background(i, a, 5.0, "disc"),
    "background colour": lambda i, a, p: compose.replace_background(i, a, (1, 2, 3)),
    "background photo": lambda i, a, p: compose.replace_background(i, a, p),
    "colour pop": lambda i, a, p: compose.colour_pop(i, a),
    "cutout": lambda i, a, p: compose.cutout(i, a),
    "composite": lambda i, a, p: compose.composite(i, np.zeros_like(i), a),
    "cover": lambda i, a, p: compose.cover(p, 50, 60),
}


@pytest.mark.parametrize("name", CALLS)
def test_originals_are_never_modified(name):
    image, alpha = red_square_scene(textured=True, soft_edge=True)
    photo, _ = disc_photo(90, 170)
    inputs = frozen(image, alpha, photo)
    out = CALLS[name](*inputs)
    # Unchanged, and not returned as (a view of) the input either.
    assert np.array_equal(inputs[0], image)
    assert np.array_equal(inputs[1], alpha)
    assert np.array_equal(inputs[2], photo)
    assert not any(np.shares_memory(out, given) for given in inputs)
    # Writing to the result must not reach the inputs.
    out[...] = 0
    assert np.array_equal(inputs[0], image)
