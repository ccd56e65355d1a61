package web

import (
	"fmt"
	"html/template"
	"testing"
	"time"
)

func TestElementHTML(t *testing.T) {
	tests := []struct {
		e    Element
		want template.HTML
	}{
		{Element{}, `<rtc-stream></rtc-stream>`},
		{Element{NoMirror: true}, `<rtc-stream mirror-webcam="false"></rtc-stream>`},
		{
			Element{Src: "/api/webrtc", Mode: "receive", Label: "Out", Width: "640", Height: "50vh", ButtonStart: "Go", ButtonStop: "Halt"},
			`<rtc-stream src="/api/webrtc" mode="receive" label="Out" width="640" height="50vh" button-start="Go" button-stop="Halt"></rtc-stream>`,
		},
		{Element{Label: `a"b<c>&`}, `<rtc-stream label="a&#34;b&lt;c&gt;&amp;"></rtc-stream>`},
		{
			// Every attribute, in the fixed order.
			Element{
				Src: "webrtc", Mode: "send", Modality: "audio", NoMirror: true, Label: "L", Width: "1", Height: "2",
				ButtonStart: "a", ButtonStop: "b", ButtonWaiting: "c", ShowStats: true, TimeLimit: 1500 * time.Millisecond,
				ConcurrencyLimit: 3, FetchRTCConfig: true,
				TrackConstraints: &TrackConstraints{Width: 320, Height: 240, FrameRate: 15, FacingMode: "user"},
				Inputs:           []string{"conf", "flag"}, Trigger: "go", NonInteractive: true, Icon: "pulse",
			},
			`<rtc-stream src="webrtc" mode="send" modality="audio" mirror-webcam="false" label="L" width="1" height="2"` +
				` button-start="a" button-stop="b" button-waiting="c" show-stats="true" time-limit="1.5" concurrency-limit="3"` +
				` rtc-config="fetch" track-constraints="{&#34;facingMode&#34;:&#34;user&#34;,&#34;frameRate&#34;:{&#34;ideal&#34;:15},&#34;height&#34;:{&#34;ideal&#34;:240},&#34;width&#34;:{&#34;ideal&#34;:320}}"` +
				` inputs="conf flag" trigger="go" interactive="false" icon="pulse"></rtc-stream>`,
		},
		// Zero and negative values are left out; empty constraints are an
		// empty object.
		{Element{TimeLimit: -time.Second, ConcurrencyLimit: -1, Inputs: []string{}, TrackConstraints: &TrackConstraints{}}, `<rtc-stream track-constraints="{}"></rtc-stream>`},
		// Values from a person are escaped wherever they go.
		{Element{Trigger: `"><script>`, Inputs: []string{"a&b"}, ButtonWaiting: "<i>"}, `<rtc-stream button-waiting="&lt;i&gt;" inputs="a&amp;b" trigger="&#34;&gt;&lt;script&gt;"></rtc-stream>`},
	}
	for _, tt := range tests {
		if got := tt.e.HTML(); got != tt.want {
			t.Errorf("%+v.HTML() =\n%s\nwant\n%s", tt.e, got, tt.want)
		}
	}
}

func ExampleElement_HTML() {
	e := Element{Label: "Webcam", NoMirror: true}
	fmt.Println(e.HTML())
	// Output: <rtc-stream mirror-webcam="false" label="Webcam"></rtc-stream>
}
