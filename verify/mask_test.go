package verify

import "testing"

func TestMask(t *testing.T) {
	tests := []struct {
		name, in, wantName, wantID string
	}{
		{"empty", "", "", ""},
		{"one", "张", "*", "*"},
		{"two", "张三", "张*", "*"},
		{"three", "张三丰", "张*丰", "*三丰"},
		{"compound", "欧阳文忠", "欧*忠", "*文忠"},
		{"latin", "Li Wei", "L*i", "*ei"},
		{"resident id", "450103199001011234", "4*4", "450*1234"},
		{"short id", "G123456", "G*6", "*56"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MaskName(tt.in); got != tt.wantName {
				t.Errorf("MaskName(%q) = %q, want %q", tt.in, got, tt.wantName)
			}
			if got := MaskID(tt.in); got != tt.wantID {
				t.Errorf("MaskID(%q) = %q, want %q", tt.in, got, tt.wantID)
			}
		})
	}
}
