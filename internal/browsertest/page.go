package browsertest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/chromedp/chromedp"
)

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s) // a string always marshals
	return string(b)
}

// withDefaultTimeout bounds ctx by actionTimeout unless it has an earlier
// deadline. ctx must be a context from New (its browser has started), so the
// timeout ends only this action, never the browser.
func withDefaultTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if d, ok := ctx.Deadline(); ok && time.Until(d) < actionTimeout {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, actionTimeout)
}

// Click clicks the first element that matches the CSS selector with a real
// mouse event, once it is visible. It gives up after 15 s.
func Click(ctx context.Context, selector string) error {
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(selector))); err != nil {
		return fmt.Errorf("browsertest: click %s: %w", selector, err)
	}
	return nil
}

// Text returns the rendered text (innerText) of the first element that matches
// the CSS selector, waiting up to 15 s for it to exist.
func Text(ctx context.Context, selector string) (string, error) {
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(selector)))
	if err != nil {
		return "", fmt.Errorf("browsertest: text of %s: %w", selector, err)
	}
	return s, nil
}

// Eval evaluates a JavaScript expression in the page and decodes its value
// (awaiting it when it is a promise) into a T.
func Eval[T any](ctx context.Context, expression string) (T, error) {
	return chromedp.Run(ctx, chromedp.Evaluate[T](expression, chromedp.EvalAwaitPromise))
}

// WaitAttr waits until the first element that matches the CSS selector has
// the attribute attr equal to value. On timeout its error tells the last
// value seen.
func WaitAttr(ctx context.Context, selector, attr, value string, timeout time.Duration) error {
	expr := fmt.Sprintf(`(() => { const e = document.querySelector(%s); return e ? e.getAttribute(%s) : null; })()`,
		jsString(selector), jsString(attr))
	last := "(no element)"
	err := poll(ctx, timeout, func(ctx context.Context) (bool, error) {
		v, err := chromedp.Run(ctx, chromedp.Evaluate[*string](expr))
		if err != nil {
			return false, err
		}
		switch {
		case v == nil:
			last = "(no element or attribute)"
		default:
			last = *v
		}
		return v != nil && *v == value, nil
	})
	if err != nil {
		return fmt.Errorf("browsertest: waiting for %s[%s=%q]: %w; last value %q", selector, attr, value, err, last)
	}
	return nil
}

// WaitVideo waits until the <video> that matches the CSS selector has a
// decoded frame, and returns its intrinsic size.
func WaitVideo(ctx context.Context, selector string, timeout time.Duration) (w, h int, err error) {
	expr := fmt.Sprintf(`(() => { const v = document.querySelector(%s);
		return v && v.readyState >= 2 && v.videoWidth > 0 ? [v.videoWidth, v.videoHeight] : null; })()`, jsString(selector))
	err = poll(ctx, timeout, func(ctx context.Context) (bool, error) {
		size, err := chromedp.Run(ctx, chromedp.Evaluate[[]int](expr))
		if err != nil {
			return false, err
		}
		if len(size) == 2 {
			w, h = size[0], size[1]
			return true, nil
		}
		return false, nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("browsertest: waiting for a frame in %s: %w", selector, err)
	}
	return w, h, nil
}

// videoPixelJS draws the current frame of a <video> into a canvas at its
// intrinsic size and reads one pixel; CSS transforms (mirroring) do not apply.
const videoPixelJS = `(() => {
	const v = document.querySelector(%s);
	if (!v) throw new Error("no element matches the selector");
	if (!(v instanceof HTMLVideoElement)) throw new Error("the element is a " + v.tagName + ", not a VIDEO");
	if (v.readyState < 2 || !v.videoWidth) throw new Error("the video has no frame yet (readyState " + v.readyState + ")");
	const x = %d, y = %d;
	if (x < 0 || y < 0 || x >= v.videoWidth || y >= v.videoHeight)
		throw new Error("pixel (" + x + "," + y + ") is outside the " + v.videoWidth + "x" + v.videoHeight + " video");
	const c = document.createElement("canvas");
	c.width = v.videoWidth;
	c.height = v.videoHeight;
	const g = c.getContext("2d", { willReadFrequently: true });
	g.drawImage(v, 0, 0);
	const d = g.getImageData(x, y, 1, 1).data;
	return [d[0], d[1], d[2]];
})()`

// VideoPixel returns the RGB colour at (x, y) of the current frame of the
// <video> that matches the CSS selector. Coordinates are in the video's
// intrinsic size (videoWidth x videoHeight), not its size on the page. It
// fails if the video has no frame yet; see WaitVideo.
func VideoPixel(ctx context.Context, selector string, x, y int) (r, g, b int, err error) {
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	rgb, err := chromedp.Run(ctx, chromedp.Evaluate[[]int](fmt.Sprintf(videoPixelJS, jsString(selector), x, y)))
	if err != nil {
		return 0, 0, 0, fmt.Errorf("browsertest: pixel (%d,%d) of %s: %w", x, y, selector, err)
	}
	if len(rgb) != 3 {
		return 0, 0, 0, fmt.Errorf("browsertest: pixel (%d,%d) of %s: got %v", x, y, selector, rgb)
	}
	return rgb[0], rgb[1], rgb[2], nil
}

// Screenshot writes a PNG of the whole page to path.
func Screenshot(ctx context.Context, path string) error {
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		return fmt.Errorf("browsertest: screenshot: %w", err)
	}
	return os.WriteFile(path, png, 0o644)
}

// WaitText waits until the rendered text (innerText) of the first element
// that matches the CSS selector satisfies ok, and returns it. On timeout its
// error tells the last text seen.
func WaitText(ctx context.Context, selector string, timeout time.Duration, ok func(text string) bool) (string, error) {
	expr := fmt.Sprintf(`(() => { const e = document.querySelector(%s); return e ? e.innerText : null; })()`, jsString(selector))
	var last *string
	err := poll(ctx, timeout, func(ctx context.Context) (bool, error) {
		v, err := chromedp.Run(ctx, chromedp.Evaluate[*string](expr))
		if err != nil {
			return false, err
		}
		last = v
		return v != nil && ok(*v), nil
	})
	if err != nil {
		seen := "(no element)"
		if last != nil {
			seen = fmt.Sprintf("%q", *last)
		}
		return "", fmt.Errorf("browsertest: waiting for the text of %s: %w; last text %s", selector, err, seen)
	}
	return *last, nil
}

// presentedFramesJS counts the frames a <video> presents during a time.
const presentedFramesJS = `new Promise((resolve, reject) => {
	const v = document.querySelector(%s);
	if (!(v instanceof HTMLVideoElement)) return reject(new Error("no video element matches the selector"));
	let n = 0;
	const count = () => { n++; v.requestVideoFrameCallback(count); };
	v.requestVideoFrameCallback(count);
	setTimeout(() => resolve(n), %d);
})`

// PresentedFrames counts the frames the <video> that matches the CSS
// selector presents during d (with requestVideoFrameCallback): a playing
// video presents about its frame rate times d, a frozen one none.
func PresentedFrames(ctx context.Context, selector string, d time.Duration) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, d+actionTimeout)
	defer cancel()
	n, err := Eval[int](ctx, fmt.Sprintf(presentedFramesJS, jsString(selector), d.Milliseconds()))
	if err != nil {
		return 0, fmt.Errorf("browsertest: counting the frames of %s: %w", selector, err)
	}
	return n, nil
}

// Poll calls check every 25 ms until it reports true, and fails when timeout
// passes first (its error then wraps the last error of check) or ctx ends.
// Each call of check gets a context that ends at the timeout.
func Poll(ctx context.Context, timeout time.Duration, check func(ctx context.Context) (bool, error)) error {
	if err := poll(ctx, timeout, check); err != nil {
		return fmt.Errorf("browsertest: %w", err)
	}
	return nil
}

// errTimeout is wrapped by the poll helpers when their timeout passes.
var errTimeout = errors.New("timed out")

// poll calls check every 25 ms until it reports true, returns an error, or
// timeout passes.
func poll(ctx context.Context, timeout time.Duration, check func(context.Context) (bool, error)) error {
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	for {
		actx, cancel := context.WithDeadline(ctx, deadline)
		ok, err := check(actx)
		cancel()
		if err == nil && ok {
			return nil
		}
		if time.Now().After(deadline) {
			if err != nil {
				return fmt.Errorf("%w after %v: %w", errTimeout, timeout, err)
			}
			return fmt.Errorf("%w after %v", errTimeout, timeout)
		}
		if err != nil && ctx.Err() != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}
