// Command voice_agent is a voice assistant in the browser: press Start and
// talk; when you pause, what you said is transcribed, a language model
// answers, and the answer is spoken back sentence by sentence while the
// conversation fills the chat beside it. Talk over it to interrupt.
//
//	OPENAI_API_KEY=sk-... go run ./examples/voice_agent
//	go run ./examples/voice_agent -url http://localhost:11434/v1 -model llama3.2 -stt pocketsphinx
//
// Any OpenAI-compatible endpoint works for the model (OpenAI, Ollama,
// llama.cpp's server, vLLM) and, with -stt openai and -tts openai, for
// speech. Without one for speech, PocketSphinx and espeak-ng run locally
// (apt-get install pocketsphinx pocketsphinx-en-us espeak-ng).
package main

import (
	"cmp"
	"flag"
	"fmt"
	"log"
	"os"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/agent"
	"github.com/rtcstream/rtcstream/ui"
	"github.com/rtcstream/rtcstream/voice"
)

// config is the app's: flags, or a test's.
type config struct {
	URL, APIKey, Model string
	STT, STTModel      string // "openai" or "pocketsphinx"
	TTS, TTSModel      string // "espeak" or "openai"
	Voice, System      string
	Turns              *voice.ReplyOnPauseOptions
	Options            rtcstream.Options
}

func main() {
	var c config
	flag.StringVar(&c.URL, "url", cmp.Or(os.Getenv("OPENAI_BASE_URL"), "https://api.openai.com/v1"), "the OpenAI-compatible endpoint ($OPENAI_BASE_URL)")
	flag.StringVar(&c.Model, "model", "gpt-4o-mini", "its chat model")
	flag.StringVar(&c.STT, "stt", "openai", `speech to text: "openai" (the endpoint's /audio/transcriptions) or "pocketsphinx" (local)`)
	flag.StringVar(&c.STTModel, "stt-model", "whisper-1", "the endpoint's transcription model")
	flag.StringVar(&c.TTS, "tts", "espeak", `text to speech: "espeak" (local) or "openai" (the endpoint's /audio/speech)`)
	flag.StringVar(&c.TTSModel, "tts-model", "tts-1", "the endpoint's speech model")
	flag.StringVar(&c.Voice, "voice", "", `the voice: espeak-ng's ("en-us") or the endpoint's ("alloy")`)
	flag.StringVar(&c.System, "system", "You are a friendly voice assistant. Answer in one or two short sentences, without lists or markup.", "the system prompt")
	addr := flag.String("addr", ":7860", "address to serve on")
	flag.Parse()
	c.APIKey = os.Getenv("OPENAI_API_KEY")

	demo, stream, err := newApp(c)
	if err != nil {
		log.Fatal(err)
	}
	defer stream.Close()
	log.Printf("voice agent on http://localhost%s (model %s at %s)", *addr, c.Model, c.URL)
	log.Fatal(rtcstream.NewHTTPServer(*addr, demo).ListenAndServe())
}

// newApp lays out the page: a heading, the microphone stream and the
// conversation.
func newApp(c config) (*ui.Blocks, *rtcstream.WebRTC, error) {
	ep := agent.Endpoint{URL: c.URL, APIKey: c.APIKey}
	var stt agent.STT = &agent.OpenAITranscriber{Endpoint: ep, Model: c.STTModel}
	if c.STT == "pocketsphinx" {
		stt = &agent.PocketSphinx{}
	} else if c.STT != "openai" {
		return nil, nil, fmt.Errorf("-stt %q: want openai or pocketsphinx", c.STT)
	}
	var tts agent.TTS = &agent.Espeak{Voice: c.Voice}
	if c.TTS == "openai" {
		tts = &agent.OpenAISpeech{Endpoint: ep, Model: c.TTSModel, Voice: cmp.Or(c.Voice, "alloy")}
	} else if c.TTS != "espeak" {
		return nil, nil, fmt.Errorf("-tts %q: want espeak or openai", c.TTS)
	}

	demo := ui.NewBlocks(&ui.BlocksOptions{Title: "Voice agent"})
	demo.Add(&ui.Markdown{Value: "# Talk to the agent\nPress **Start**, speak, and pause: it answers aloud. Talk over it to interrupt."})
	opts := c.Options
	opts.AudioInputRate = 16000 // the voice activity detector's rate
	audio := rtcstream.NewWebRTC(&rtcstream.WebRTCOptions{Props: ui.Props{Label: "Microphone"}, Modality: rtcstream.Audio, Options: opts})
	chat := &ui.Chatbot{Props: ui.Props{Label: "Conversation"}, Placeholder: "What you say and what the agent answers shows here."}
	demo.Row(ui.Props{}, func(r *ui.Layout) {
		r.Add(audio, chat)
	})
	handler, err := agent.Handler(agent.Options{
		STT: stt, TTS: tts,
		LLM:    &agent.OpenAIChat{Endpoint: ep, Model: c.Model},
		System: c.System,
		Chat:   chat,
		Turns:  c.Turns,
	})
	if err != nil {
		return nil, nil, err
	}
	if err := audio.Stream(handler, rtcstream.StreamEvent{Inputs: []ui.Component{audio}, Outputs: []ui.Component{audio, chat}}); err != nil {
		return nil, nil, err
	}
	return demo, audio, nil
}
