package registry

// Validation rules live here. (Placeholder bodies: each returns nil until
// the field rules are written.)

func (r Community) Validate() error    { return nil }
func (r Org) Validate() error          { return nil }
func (r Activity) Validate() error     { return nil }
func (r Project) Validate() error      { return nil }
func (r Talent) Validate() error       { return nil }
func (r Platform) Validate() error     { return nil }
func (r Registration) Validate() error { return nil }
