package ui

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
)

// DefaultContentSecurityPolicy is the Content-Security-Policy of a page
// whose BlocksOptions.ContentSecurityPolicy is empty, before the
// frame-ancestors directive that BlocksOptions.FrameAncestors sets:
//
//   - scripts only from the page's own origin (its assets/ modules; no
//     inline script, no eval), so HTML that reaches the page can't run code;
//   - styles from the page's origin and inline ones (BlocksOptions.CSS, the
//     style attributes components and the application's HTML carry);
//   - images from the page's origin, data: and blob: URLs and any https
//     URL (pictures in the application's HTML and Markdown);
//   - media from the page's origin, blob: and mediastream: (the camera and
//     the stream play from a MediaStream);
//   - fetch only to the page's origin (signalling, value and click routes);
//   - no plugins, no <base> elsewhere, forms post only to the page's origin.
const DefaultContentSecurityPolicy = "default-src 'self'; " +
	"script-src 'self'; " +
	"style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data: blob: https:; " +
	"media-src 'self' blob: mediastream:; " +
	"connect-src 'self'; " +
	"font-src 'self' data:; " +
	"object-src 'none'; " +
	"base-uri 'self'; " +
	"form-action 'self'"

// sourceRE matches one CSP source expression allowed in frame-ancestors
// (CSP Level 3, section 2.3.1): a scheme ("https:") or a host, with an
// optional scheme, wildcard subdomain, port and path
// ("https://*.example.com:8443/app").
var sourceRE = regexp.MustCompile(`^(?:[A-Za-z][A-Za-z0-9+.-]*:|(?:[A-Za-z][A-Za-z0-9+.-]*://)?(?:\*|(?:\*\.)?[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)(?::(?:[0-9]+|\*))?(?:/[A-Za-z0-9._~!$&()*+=:@%/-]*)?)$`)

// frameAncestors turns BlocksOptions.FrameAncestors into the value of the
// frame-ancestors directive: "'self'" when empty. It accepts the keywords
// with or without their quotes ("self", "'none'") and "*".
func frameAncestors(list []string) (string, error) {
	if len(list) == 0 {
		return "'self'", nil
	}
	out := make([]string, 0, len(list))
	for _, s := range list {
		switch v := strings.TrimSpace(s); strings.ToLower(strings.Trim(v, "'")) {
		case "self":
			out = append(out, "'self'")
		case "none":
			if len(list) > 1 {
				return "", fmt.Errorf("%q can't be listed with other sources", s)
			}
			out = append(out, "'none'")
		default:
			if v == "*" || sourceRE.MatchString(v) {
				out = append(out, v)
				continue
			}
			return "", fmt.Errorf("%q is not an origin, a scheme (\"https:\"), \"*\" or 'self'", s)
		}
	}
	return strings.Join(out, " "), nil
}

// contentSecurityPolicy is the page's whole Content-Security-Policy: opts'
// policy (or the default, whose connect-src adds connect: the sources a
// component connects to) and its frame-ancestors.
func contentSecurityPolicy(opts *BlocksOptions, connect []string) (string, error) {
	fa, err := frameAncestors(opts.FrameAncestors)
	if err != nil {
		return "", fmt.Errorf("FrameAncestors: %w", err)
	}
	policy := DefaultContentSecurityPolicy
	for _, src := range connect {
		if !sourceRE.MatchString(src) {
			return "", fmt.Errorf("a component connects to %q, which is not a CSP source", src)
		}
		policy = strings.Replace(policy, "connect-src 'self'", "connect-src 'self' "+src, 1)
	}
	if opts.ContentSecurityPolicy != "" {
		policy = strings.TrimRight(strings.TrimSpace(opts.ContentSecurityPolicy), "; ")
		if strings.ContainsFunc(policy, func(r rune) bool { return r < ' ' || r == 0x7f }) {
			return "", fmt.Errorf("ContentSecurityPolicy holds a control character")
		}
		if strings.Contains(strings.ToLower(policy), "frame-ancestors") {
			return "", fmt.Errorf("ContentSecurityPolicy sets frame-ancestors; set FrameAncestors instead")
		}
	}
	return policy + "; frame-ancestors " + fa, nil
}

// setPageHeaders sets the security headers of the page itself.
func (p *page) setPageHeaders(h http.Header) {
	h.Set("Content-Security-Policy", p.csp)
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Content-Type-Options", "nosniff")
}
