package verify

import "fmt"

func (d *decoder) claims() (*Claims, error) {
	c := &Claims{}
	err := d.object(func(k []byte) error {
		var err error
		switch string(k) {
		case "iss":
			c.Iss, err = d.str()
		case "sub":
			c.Sub, err = d.str()
		case "jti":
			c.JTI, err = d.str()
		case "iat":
			c.Iat, err = d.date()
		case "exp":
			c.Exp, err = d.date()
		case "nbf":
			c.Nbf, err = d.date()
		case "col":
			var s string
			s, err = d.str()
			c.Col = Color(s)
		case "nam":
			c.Nam, err = d.str()
		case "idm":
			c.Idm, err = d.str()
		case "chk":
			c.Chk, err = d.date()
		case "cnf":
			c.Cnf = &Cnf{}
			hasJWK := false
			err = d.object(func(k []byte) error {
				if string(k) != "jwk" {
					return d.skip()
				}
				hasJWK = true
				var err error
				c.Cnf.JWK, err = d.jwk()
				return err
			})
			if err == nil && !hasJWK {
				err = fmt.Errorf("%w: cnf without jwk", ErrMalformed)
			}
		default:
			err = d.skip()
		}
		return err
	})
	return c, err
}

// validate checks that the claims the verdict rests on are there.
func (c *Claims) validate() error {
	if c.Iss == "" || c.Sub == "" || c.JTI == "" || c.Iat == 0 || c.Exp == 0 {
		return fmt.Errorf("%w: iss, sub, jti, iat and exp are required", ErrMalformed)
	}
	switch c.Col {
	case Green, Yellow, Red, Gray:
	default:
		return fmt.Errorf("%w: col %q", ErrMalformed, c.Col)
	}
	return nil
}
